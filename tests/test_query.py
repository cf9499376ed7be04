import pytest

from index.search.query import (And, Group, Or, Phrase, QuerySyntaxError, Word, iter_words,
                         parse_query, positive_texts)


def test_words_form_a_group():
    node = parse_query("Poetin troepen")
    assert isinstance(node, Group)
    assert [w.text for w in node.should] == ["Poetin", "troepen"]


def test_single_word():
    assert parse_query("Poetin") == Word("Poetin", None, 0, 6)


def test_phrase_and_field():
    node = parse_query('title:"vrede handhaven" Kiev')
    assert isinstance(node.should[0], Phrase)
    assert node.should[0].field == "title"
    assert node.should[0].words == ["vrede", "handhaven"]


def test_operators():
    node = parse_query("NAVO OR NATO")
    assert isinstance(node, Or) and len(node.children) == 2
    node = parse_query("Poetin AND (Kiev OR Moskou)")
    assert isinstance(node, And) and isinstance(node.children[1], Or)
    node = parse_query("Poetin -Biden NOT Macron +Kremlin")
    assert [w.text for w in node.must_not] == ["Biden", "Macron"]
    assert [w.text for w in node.must] == ["Kremlin"]


def test_lowercase_operators_are_words():
    node = parse_query("oorlog and vrede")
    assert [w.text for w in iter_words(node)] == ["oorlog", "and", "vrede"]


def test_positive_texts_skip_exclusions():
    assert positive_texts(parse_query('Poetin -Biden "vrede handhaven"')) == [
        "Poetin", "vrede", "handhaven"]


@pytest.mark.parametrize("query,fragment", [
    ('"vrede handhaven', "unclosed quote"),
    ("(Poetin", "unclosed '('"),
    ("Poetin)", "unmatched ')'"),
    ("Poetin AND", "'AND' needs a term"),
    ("OR Poetin", "expected a word"),
    ("colour:red", "unknown field 'colour'"),
    ("NOT Poetin", "cannot only exclude"),
    ("()", "empty parentheses"),
    ('""', "empty phrase"),
    ("", "empty"),
    ("(" * 30 + "a" + ")" * 30, "nested"),
])
def test_syntax_errors_say_what_is_wrong(query, fragment):
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert fragment in str(info.value)
