"""FreeDict dictd parsing, cleaning and weighting, on a tiny fake dictionary."""

import gzip
import logging
from pathlib import Path

import pytest

from tests.conftest import require

from index.crosslink.dictionary import (decode_b64, dictionary_pairs, dutch_inflections,
                                        headwords, parse_entry, read_dictd)

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def encode_b64(number: int) -> str:
    digits = ""
    while True:
        digits = B64[number % 64] + digits
        number //= 64
        if number == 0:
            return digits


def write_dictd(folder: Path, name: str, entries: list[str]):
    """Write NAME.index + NAME.dict.dz the way dictfmt does (minus the random-access header)."""
    data = b""
    index_lines = ["00databaseshort\tA\tB"]
    data += b"x"
    for text in entries:
        raw = text.encode("utf-8")
        head = text.split("\n", 1)[0].split(" /")[0]
        index_lines.append(f"{head}\t{encode_b64(len(data))}\t{encode_b64(len(raw))}")
        data += raw
    (folder / f"{name}.index").write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    with gzip.open(folder / f"{name}.dict.dz", "wb") as out:
        out.write(data)


NLD_ENG = [
    "troep /trup/\n1. accumulation, crowd, heap, mass\n2. bevy, collection, group, herd, set\n"
    "3. band, gang\n5. troop, troupe\n",
    "sanctie /s\u0251\u014bksi/\nsanction\n",
    "oefening /uf\u0259ni\u014b/\nexercise, practice\n",
    "wapen /x/\nweapon, arms\n",
    "soldaat /x/\nsoldier\n",
    "kiezen /kiz\u0259n/\nchoose, elect, pickout, takeintoaccount\n",
    "ABC\u2010boek /x/\nABC\u2010book\n",
    "vrijheid /x/\nfreedom, liberty\n".replace("ij", "\u0133"),
    "spel /x/\ngame, veryveryveryverylongsquashedthing (note), at ... once\n",
]
ENG_NLD = [
    "troop /tru\u02d0p/\n1. bende, horde\n2. troep, zwerm\n",
    "border /x/\nrand, zoom\n",
    "pick /x/\nplukken\n",
    "out /x/\nbuiten\n",
    "take /x/\nnemen\n",
    "account /x/\nrekening\n",
]


@pytest.fixture
def fake_dir(tmp_path):
    write_dictd(tmp_path, "freedict-nld-eng", NLD_ENG)
    write_dictd(tmp_path, "freedict-eng-nld", ENG_NLD)
    return tmp_path


def pairs_of(folder):
    return {(nl, en): (w, nl_s, en_s) for nl, en, w, nl_s, en_s in dictionary_pairs(folder)}


def test_base64_numbers():
    assert decode_b64("A") == 0 and decode_b64("B") == 1 and decode_b64("BA") == 64
    assert all(decode_b64(encode_b64(n)) == n for n in (0, 63, 64, 4095, 123456))


def test_read_and_parse(fake_dir):
    entries = read_dictd(fake_dir / "freedict-nld-eng.index", fake_dir / "freedict-nld-eng.dict.dz")
    by_head = {e.headword: e for e in entries}
    assert "00databaseshort" not in by_head
    assert by_head["troep"].senses[-1] == ["troop", "troupe"]  # sense number and IPA gone
    assert by_head["ABC-boek"].senses == [["ABC-book"]]  # U+2010 cleaned
    assert "vrijheid" in by_head  # ligature cleaned
    assert by_head["spel"].senses == [["game", "veryveryveryverylongsquashedthing"]]


def test_parse_entry_without_ipa():
    entry = parse_entry("grens\nboundary, frontier\n")
    assert entry.headword == "grens" and entry.senses == [["boundary", "frontier"]]


def test_weights_fall_with_number_of_translations(fake_dir):
    pairs = pairs_of(fake_dir)
    sanction = pairs[("sanctie", "sanction")][0]
    crowd = pairs[("troep", "crowd")][0]
    assert sanction >= 0.75  # the only translation
    assert crowd < 0.3  # one of 13 translations
    # A later sense weighs less than an earlier one with the same number of translations.
    assert pairs[("troep", "troup")][0] < crowd
    # Found in both dictionaries: a bonus over the nld-eng weight alone.
    assert pairs[("troep", "troop")][0] > pairs[("troep", "troup")][0]


def test_squashed_phrases_and_noise(fake_dir):
    pairs = pairs_of(fake_dir)
    english = {en for _, en in pairs}
    assert "pickout" not in english and "takeintoaccount" not in english
    assert pairs[("kies", "pick")][0] < pairs[("kies", "choos")][0]  # pick out -> pick, lower
    assert ("kies", "take account") in pairs  # two content words: a multi-word term
    assert not any("veryvery" in en for en in english)  # too long without spaces
    assert not any("onc" in en for en in english)  # "at ... once" placeholder dropped
    assert ("vrijheid", "freedom") in pairs
    assert pairs[("abcboek", "abcbook")][1:] == ("ABC-boek", "ABC-book")


def test_dutch_inflected_forms_link_through_their_stems(fake_dir):
    pairs = pairs_of(fake_dir)
    # The stemmer gives "waap" for wapen but "wapen" for wapens: both link.
    assert ("waap", "weapon") in pairs
    assert ("wapen", "weapon") in pairs
    assert pairs[("wapen", "weapon")][1] == "wapens"
    assert pairs[("wapen", "weapon")][0] < pairs[("waap", "weapon")][0]
    assert "soldaten" in dutch_inflections("soldaat")
    assert "oefeningen" in dutch_inflections("oefening")
    assert ("sanctie", "sanction") in pairs  # sancties stems to sanctie already


def test_missing_files_warn_and_give_nothing(tmp_path, caplog):
    warnings = []
    with caplog.at_level(logging.WARNING):
        assert dictionary_pairs(tmp_path / "nowhere", warnings) == []
    assert len(warnings) == 2 and "not found" in warnings[0]
    assert "not found" in caplog.text
    assert dictionary_pairs(None, warnings) == []


def test_headwords_are_common_lowercase_words(fake_dir):
    words = headwords(fake_dir)
    assert "troep" in words and "abc-boek" not in words


def test_real_freedict():
    require(Path("/usr/share/dictd/freedict-nld-eng.index").exists(),
            "Debian dict-freedict-nld-eng")
    pairs = pairs_of("/usr/share/dictd")
    assert ("sanctie", "sanction") in pairs
    assert ("troep", "troop") in pairs
    assert ("wapenstilstand", "truce") in pairs
    assert len(pairs) > 30000


def test_fast_term_path_equals_the_analyzer():
    from index.analysis import analyze
    from index.crosslink.dictionary import _terms

    words = ["troepen", "Oekraïne", "NAVO", "US", "us", "de", "The", "sancties", "fietsen",
             "Wit-Rusland", "foto's", "ĳzer", "Poetin", "oefeningen", "running", "À"]
    for lang in ("nl", "en"):
        for word in words:
            assert _terms(lang, word) == tuple(analyze(lang, word)), (lang, word)


def test_squashed_phrase_rules():
    from index.crosslink.dictionary import is_squashed_phrase

    assert is_squashed_phrase(["put", "in"])  # putin must not become the term of Putin
    assert is_squashed_phrase(["give", "up"])
    assert is_squashed_phrase(["letter", "of", "recommendation"])
    assert not is_squashed_phrase(["cab", "in"])  # cabin
    assert not is_squashed_phrase(["a", "version"])  # aversion
    assert not is_squashed_phrase(["work", "bench"])  # workbench
    assert not is_squashed_phrase(["art", "is", "tic"])  # artistic
