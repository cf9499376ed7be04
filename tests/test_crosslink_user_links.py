"""The users' edits laid over a lexicon (``index.crosslink.user_links.apply``), in memory."""

from __future__ import annotations

import pytest

from index.crosslink import lookup, user_links
from index.crosslink.lexicon import Lexicon


def small_lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_pair("kerk", "kirk", 0.64, "dictionary")
    lexicon.add_pair("kerk", "church", 0.36, "dictionary")
    lexicon.add_pair("kerk", "church", 0.3, "parallel")
    lexicon.add_pair("vrede", "peac", 0.8, "dictionary", "vrede", "peace")
    lexicon.add_pair("missie", "mission", 0.8, "dictionary")
    lexicon.name_keys = {}
    return Lexicon.from_json(lexicon.to_json())  # frozen, as a reader loads it


def edits(*items) -> dict:
    return {(e["nl_term"], e["en_term"]): e for e in items}


def targets(lexicon, lang, term):
    return [(link.term, link.weight, link.source) for link in lexicon.links(lang, term)]


def test_no_edits_is_the_same_lexicon():
    lexicon = small_lexicon()
    assert user_links.apply(lexicon, {}) is lexicon


def test_a_reweight_wins_and_keeps_the_other_sources_and_order():
    lexicon = small_lexicon()
    edited = user_links.apply(lexicon, edits(user_links.make_edit("kerk", "church", 0.9)))
    assert targets(edited, "nl", "kerk") == [("church", 0.9, "user"),
                                             ("kirk", 0.64, "dictionary")]
    assert targets(edited, "en", "church") == [("kerk", 0.9, "user")]
    assert edited.sources_of("kerk", "church") == {"user": 0.9, "dictionary": 0.36,
                                                    "parallel": 0.3}
    assert targets(lexicon, "nl", "kerk")[0][0] == "kirk"  # the original is untouched
    row = next(r for r in lookup(edited, "kerk") if r["target"] == "church")
    assert (row["source"], row["weight"]) == ("user", 0.9)


def test_a_block_removes_the_pair_everywhere_but_keeps_the_others():
    lexicon = small_lexicon()
    edited = user_links.apply(lexicon, edits(user_links.make_edit("kerk", "kirk", block=True)))
    assert [t for t, _, _ in targets(edited, "nl", "kerk")] == ["church"]
    assert targets(edited, "en", "kirk") == []
    assert ("kerk", "kirk") not in edited
    assert len(edited) == len(lexicon) - 1
    assert ("kerk", "kirk") not in {(nl, en) for nl, en, *_ in edited.pairs()}
    assert all(row[:2] != ["kerk", "kirk"] for row in edited.to_json()["pairs"])
    assert edited.stats()["dictionary"] == lexicon.stats()["dictionary"] - 1


def test_a_block_also_stops_a_search_time_compound_link():
    lexicon = small_lexicon()
    assert "peac" in [t for t, _, _ in targets(lexicon, "nl", "vredesmissie")]
    edited = user_links.apply(lexicon, edits(
        user_links.make_edit("vredesmissie", "peace", block=True)))
    assert "peac" not in [t for t, _, _ in targets(edited, "nl", "vredesmissie")]
    assert "mission" in [t for t, _, _ in targets(edited, "nl", "vredesmissie")]


def test_a_new_pair_and_a_phrase_are_added_in_both_directions():
    edited = user_links.apply(small_lexicon(), edits(
        user_links.make_edit("Federatieraad", "Federation Council", 0.9),
        user_links.make_edit("vrede", "calm", 0.85)))
    assert targets(edited, "nl", "federatieraad") == [("feder council", 0.9, "user")]
    assert targets(edited, "en", "feder council") == [("federatieraad", 0.9, "user")]
    assert targets(edited, "nl", "vrede") == [("calm", 0.85, "user"), ("peac", 0.8,
                                                                       "dictionary")]
    assert edited.stats()["user"] == 2


@pytest.mark.parametrize("nl, en, weight, block, field", [
    ("", "church", None, False, "nl"),
    ("kerk", "the", None, False, "en"),
    ("kerk", "church", 0.0, False, "weight"),
    ("kerk", "church", True, False, "weight"),
    ("kerk", "church", 0.5, True, "weight"),
    ("kerk", "a b c d e f g h", None, False, "en"),
])
def test_make_edit_refuses_with_the_field(nl, en, weight, block, field):
    with pytest.raises(user_links.UserLinkError) as caught:
        user_links.make_edit(nl, en, weight, block)
    assert field in caught.value.errors


def test_matcher_finds_any_form_and_words_of_a_phrase():
    edit = user_links.make_edit("Federatieraad", "Federation Council", 0.9)
    assert user_links.matcher("Federatieraad")(edit)
    assert user_links.matcher("council", "en")(edit)
    assert not user_links.matcher("council", "nl")(edit)
    assert not user_links.matcher(None, kind="block")(edit)
    assert user_links.matcher(None, kind="link")(edit)


def test_the_file_format_is_checked(tmp_path):
    path = tmp_path / "crosslinks-user.json"
    assert user_links.read_edits(path) == {}
    path.write_text('{"format": "other"}', "utf-8")
    with pytest.raises(ValueError):
        user_links.read_edits(path)
    edit = user_links.make_edit("kerk", "kirk", block=True)
    path.write_text(__import__("json").dumps(user_links.to_json(edits(edit))), "utf-8")
    assert user_links.read_edits(path) == edits(edit)
