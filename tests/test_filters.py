"""The filter language (index.search.filters): parsing, errors, and what it matches
on a real index written by the storage layer."""

from __future__ import annotations

import random

import pytest

from index.fields import Fields, configure, load_fields
from index.ingest.documents import Document
from index.search.filters import (MAX_DEPTH, BoolNode, Condition, FilterError, matching_ids,
                                  parse_filter)
from index.storage import IndexReader, rebuild

FIELDS = load_fields("priority:number,embargo:date,desk:keyword,summary:text")


@pytest.fixture(autouse=True)
def declared():
    configure(FIELDS)
    yield
    configure(Fields())


def doc(doc_id, lang, source=None, date=None, **fields):
    text = {"nl": "Het kabinet bespreekt de steun aan Oekraine.",
            "en": "The cabinet discusses support for Ukraine."}[lang]
    return Document(id=doc_id, language=lang, language_confidence=1.0, title=doc_id, text=text,
                    original=text, source=source, date=date, fields=fields)


DOCS = [
    doc("n1", "nl", "NOS", "2022-02-24T05:30:00+02:00", tags=["oorlog", "Oekraïne"], priority=3,
        desk="Buitenland"),
    doc("n2", "nl", "nos", "2022-02-24T01:00:00+02:00", tags=["politiek"], priority=1,
        embargo="2022-02-25T08:00:00Z", summary="Het kabinet valt over de begroting"),
    doc("n3", "nl", "NRC", "2022-02", tags=["Oorlog"], priority=-2.5),
    doc("e1", "en", "BBC News", "2022-02-23", tags=["war", "NATO"], priority=5,
        embargo="2022-02-24", summary="NATO sends more troops"),
    doc("e2", "en", None, None, priority=0),
    doc("e3", "en", "Reuters", "2022-03-01T00:00:00Z", desk="buitenland"),
]


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    configure(FIELDS)
    root = tmp_path_factory.mktemp("filters") / "index"
    rebuild(root, DOCS)
    configure(Fields())
    return IndexReader(root)


def ids(reader, text):
    return sorted(doc_id for doc_id, _ in matching_ids(reader, text, FIELDS))


# -- parsing -------------------------------------------------------------------------


def test_and_binds_tighter_than_or_and_not_applies_to_one_term():
    tree = parse_filter("source:a OR source:b AND NOT tags:c", FIELDS)
    assert isinstance(tree, BoolNode) and tree.op == "or"
    left, right = tree.children
    assert isinstance(left, Condition) and left.value == "a"
    assert right.op == "and" and right.children[1].op == "not"


def test_quoted_values_keep_spaces_colons_and_escapes():
    tree = parse_filter(r'source:"NOS \"Nieuws\": live" OR desk:(a OR "b c")', FIELDS)
    assert tree.children[0].value == 'NOS "Nieuws": live'
    group = tree.children[1]
    assert group.op == "or" and [c.value for c in group.children] == ["a", "b c"]


def test_timestamps_with_colons_need_no_quotes():
    tree = parse_filter("date:>=2022-02-24T05:30:00+02:00 AND embargo:[* TO 2022-03]", FIELDS)
    assert tree.children[0].op == ">=" and tree.children[0].value == "2022-02-24T05:30:00+02:00"
    assert tree.children[1].op == "range" and tree.children[1].value == "*"


def test_operators_are_case_insensitive_but_a_value_may_be_a_keyword():
    tree = parse_filter("source:and or source:not", FIELDS)
    assert tree.op == "or" and [c.value for c in tree.children] == ["and", "not"]


@pytest.mark.parametrize("text, expected", [
    ("", "empty"),
    ("   ", "empty"),
    ("colour:red", "unknown field 'colour'"),
    ("colour:red", 'TOLK_FIELDS="colour:keyword"'),
    ("source", "expected ':' after 'source'"),
    ("source:", "expected a value for 'source' (at position 7)"),
    ("source:a tags:b", "join conditions with AND or OR (at position 9)"),
    ("source:a AND", "expected field:value, found the end"),
    ("(source:a", "')' to close the '(' at position 0"),
    ("source:a)", "expected AND, OR or the end, found ')'"),
    ('source:"NOS', "quoted value is not closed"),
    ("source:>NOS", "needs a number or date field; 'source' is keyword"),
    ("tags:[a TO b]", "range [a TO b] needs a number or date field"),
    ("priority:[1 5]", "expected TO"),
    ("priority:[1 TO 5", "']' to close the range"),
    ("priority:abc", "priority: 'abc': must be a number"),
    ("priority:>=nan", "finite"),
    ("date:2022-13-01", "date: '2022-13-01'"),
    ("embargo:2022-02-24T25:00Z", "not a valid timestamp"),
    ("language:de", "use nl or en"),
    ("desk:(a OR b AND c)", "mixing AND and OR"),
    ("(" * (MAX_DEPTH + 1) + "source:a" + ")" * (MAX_DEPTH + 1), "nested deeper"),
    (" OR ".join(["source:a"] * 201), "more than 200 conditions"),
    ("source:" + "x" * 5000, "longer than 4000"),
])
def test_bad_filters_say_what_and_where(text, expected):
    with pytest.raises(FilterError) as info:
        parse_filter(text, FIELDS)
    assert expected in info.value.message


def test_parsing_reads_each_character_a_bounded_number_of_times():
    """Linear time, counted (not timed): characters read for a filter 10x as long."""

    class Counting(str):
        reads = 0

        def __getitem__(self, index):
            Counting.reads += 1
            return str.__getitem__(self, index)

    def reads(text):
        Counting.reads = 0
        parse_filter(Counting(text), FIELDS)
        return Counting.reads

    def nested(n):
        return "(" * n + "desk:a" + ")" * n

    for make in (lambda n: " OR ".join(f'desk:"{"x" * 10}"' for _ in range(n)),
                 lambda n: " AND ".join(f"priority:[{i} TO {i + 1}]" for i in range(n)),
                 lambda n: " OR ".join(["NOT (tags:(a OR b))"] * n)):
        small, large = reads(make(15)), reads(make(150))
        assert small > 0 and large / small < 11
    assert reads(nested(15)) / reads(nested(1)) < 16


# -- matching ------------------------------------------------------------------------


def test_keyword_filters_ignore_case_and_accents(reader):
    assert ids(reader, "source:nos") == ["n1", "n2"]
    assert ids(reader, "source:NOS") == ["n1", "n2"]
    assert ids(reader, 'source:"bbc news"') == ["e1"]
    assert ids(reader, "tags:oekraine") == ["n1"]
    assert ids(reader, "tags:OORLOG") == ["n1", "n3"]
    assert ids(reader, "desk:BUITENLAND") == ["e3", "n1"]


def test_keyword_filters_ignore_decomposed_accents_invisible_characters_and_spacing(reader):
    assert ids(reader, "tags:Oekrai\u0308ne") == ["n1"]  # NFD
    assert ids(reader, 'source:"N\u200bOS"') == ["n1", "n2"]  # zero-width space
    assert ids(reader, 'source:"  BBC   news "') == ["e1"]


def test_boolean_combinations(reader):
    assert ids(reader, "source:nos AND tags:oorlog") == ["n1"]
    assert ids(reader, "source:nos OR tags:war") == ["e1", "n1", "n2"]
    assert ids(reader, "NOT source:nos") == ["e1", "e2", "e3", "n3"]
    assert ids(reader, "tags:(oorlog OR war) AND NOT source:nrc") == ["e1", "n1"]
    assert ids(reader, "language:en AND NOT (source:reuters OR priority:>=5)") == ["e2"]


def test_number_ranges(reader):
    assert ids(reader, "priority:>=3") == ["e1", "n1"]
    assert ids(reader, "priority:>3") == ["e1"]
    assert ids(reader, "priority:<0") == ["n3"]
    assert ids(reader, "priority:<=0") == ["e2", "n3"]
    assert ids(reader, "priority:[0 TO 3]") == ["e2", "n1", "n2"]
    assert ids(reader, "priority:[* TO 1]") == ["e2", "n2", "n3"]
    assert ids(reader, "priority:3.0") == ["n1"]
    assert ids(reader, "priority:[* TO *]") == ["e1", "e2", "n1", "n2", "n3"]  # has a value


def test_built_in_date_compares_instants_in_utc_and_months_cover_their_days(reader):
    # n1 is 2022-02-24 03:30 UTC, n2 2022-02-23 23:00 UTC, n3 the whole of February.
    assert ids(reader, "date:2022-02-24") == ["n1", "n3"]
    assert ids(reader, "date:2022-02-23") == ["e1", "n2", "n3"]
    assert ids(reader, "date:>=2022-02-24T03:00:00Z") == ["e3", "n1", "n3"]
    assert ids(reader, "date:<2022-02-24T05:00:00+02:00") == ["e1", "n2", "n3"]
    assert ids(reader, "date:[2022-03-01 TO *]") == ["e3"]
    assert ids(reader, "date:>2022-02") == ["e3"]
    assert ids(reader, "date:2022-02") == ["e1", "n1", "n2", "n3"]


def test_declared_date_and_text_fields(reader):
    assert ids(reader, "embargo:<=2022-02-24") == ["e1"]
    assert ids(reader, "embargo:>2022-02-24") == ["n2"]
    assert ids(reader, "summary:troops") == ["e1"]  # English analyzer: troops -> troop
    assert ids(reader, 'summary:"kabinet valt"') == ["n2"]


def test_a_field_declared_after_the_index_was_written_matches_nothing(reader):
    later = load_fields("priority:number,embargo:date,desk:keyword,summary:text,urgent:keyword")
    assert matching_ids(reader, "urgent:yes", later) == []
    assert [i for i, _ in matching_ids(reader, "NOT urgent:yes", later)] == sorted(
        d.id for d in DOCS)


def test_random_filters_agree_with_a_python_model(reader):
    """Random AND/OR/NOT combinations of conditions, checked against the documents."""
    conditions = {
        "source:nos": lambda d: (d.source or "").lower() == "nos",
        "tags:oorlog": lambda d: "oorlog" in [t.lower() for t in d.fields.get("tags", [])],
        "priority:>=1": lambda d: d.fields.get("priority", -99) >= 1,
        "language:nl": lambda d: d.language == "nl",
        "desk:buitenland": lambda d: d.fields.get("desk", "").lower() == "buitenland",
    }
    rng = random.Random(12)
    names = list(conditions)

    def build(depth):
        if depth == 0 or rng.random() < 0.3:
            name = rng.choice(names)
            return name, conditions[name]
        op = rng.choice(["AND", "OR", "NOT"])
        if op == "NOT":
            text, test = build(depth - 1)
            return f"NOT ({text})", lambda d, t=test: not t(d)
        (lt, lf), (rt, rf) = build(depth - 1), build(depth - 1)
        if op == "AND":
            return f"({lt}) AND ({rt})", lambda d: lf(d) and rf(d)
        return f"({lt}) OR ({rt})", lambda d: lf(d) or rf(d)

    for _ in range(60):
        text, test = build(3)
        assert ids(reader, text) == sorted(d.id for d in DOCS if test(d)), text


@pytest.mark.parametrize("q", ["kabinet OR cabinet", "(kabinet OR cabinet) -begroting",
                               '"steun aan" OR "support for"'])
@pytest.mark.parametrize("text", ["NOT source:nos", "tags:oorlog OR priority:>=3",
                                  "date:[2022-02-24 TO *] AND NOT desk:buitenland"])
def test_search_with_a_filter_finds_what_the_filter_and_the_query_both_match(reader, q, text):
    from index.search import SearchRequest, search

    everything = search(reader, SearchRequest(q=q, limit=50), lexicon=None, fields=FIELDS)
    found = search(reader, SearchRequest(q=q, limit=50, filter=text), lexicon=None,
                   fields=FIELDS)
    expected = {h["id"] for h in everything["hits"]} & set(ids(reader, text))
    assert {h["id"] for h in found["hits"]} == expected and found["total"] == len(expected)
