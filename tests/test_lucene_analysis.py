"""The generated OpenSearch analysis settings, run through Lucene's own code.

Lucene (Debian's liblucene8-java, started once per module by
``tests/luceneharness.py``) builds the analyzers from
``index.backends.opensearch.analysis.analysis_settings`` the way OpenSearch
does, and the tokens are compared with Tolk's analyzer on the seeds, on
FLORES-200 devtest and on hand-picked surface forms. The thresholds are the
measured agreement minus a small margin (docs/notes/lucene.md): a change
to either side that makes them disagree more fails here.
"""

from __future__ import annotations

import os
import random

import pytest

import index.analysis as tolk_analysis
from index.analysis import normalize_number
from index.backends.opensearch import analysis as os_analysis
from index.backends.opensearch.analysis import (
    ANALYZERS, MAX_TOKEN_CHARS, SEARCH_ANALYZERS, analysis_settings, stemmer_is_exact,
)
from luceneharness import (
    LuceneAnalyzers, agreement, flores_dir, flores_sentences, lucene_classpath, seed_texts,
    tolk_terms, variant, variant_name, word_differences,
)

IN_CI = os.environ.get("CI") == "true"
MODES = (("index", ANALYZERS), ("query", SEARCH_ANALYZERS))

# Measured (docs/notes/lucene.md) minus a margin, per Tolk stemmer; the settings map
# dutch_porter to Lucene's Snowball "Dutch" (same algorithm) and dutch to "Kp".
RUNS = (("en", "english"), ("nl", "dutch"), ("nl", "dutch_porter"))
# dutch_porter agrees exactly (hyphenated wholes and fractions included); what is left
# for english and dutch is only the older Snowball programs in Debian's Lucene 8.7.
FLORES_MIN = {("en", "english"): 0.995, ("nl", "dutch"): 0.997, ("nl", "dutch_porter"): 1.0}
SEEDS_MIN = {("en", "english"): 0.985, ("nl", "dutch"): 0.993, ("nl", "dutch_porter"): 1.0}
# Share of distinct FLORES words whose index terms differ.
WORDS_MAX = {("en", "english"): 0.004, ("nl", "dutch"): 0.0025, ("nl", "dutch_porter"): 0.0}


# Snowball names Debian's Lucene 8.7 has (of those the settings may use).
LUCENE8_SNOWBALL = ("Dutch", "Kp", "English", "Porter")


def _stem_only(name: str) -> dict:
    """An analysis block with one analyzer ``stem:<name>``: split on spaces, Snowball ``name``."""
    spaces = {"type": "pattern", "pattern": "\\S+", "group": 0}
    return {"char_filter": {}, "tokenizer": {"spaces": spaces},
            "filter": {f"snowball_{name}": {"type": "snowball", "language": name}},
            "analyzer": {f"stem:{name}": {"tokenizer": "spaces", "filter": [f"snowball_{name}"]}}}


def _missing(what: str, remedy: str):
    if IN_CI:
        pytest.fail(f"{what} is missing; CI needs it ({remedy})")
    pytest.skip(f"{what} is missing ({remedy})")


@pytest.fixture(scope="module")
def lucene(tmp_path_factory):
    classpath = lucene_classpath()
    if classpath is None:
        _missing("a JDK or liblucene8-java", "make debs-test installs both")
    analyses = [analysis_settings("nl"), analysis_settings("en")]
    analyses += [variant(language, algorithm) for language, algorithm in RUNS]
    analyses += [_stem_only(name) for name in LUCENE8_SNOWBALL]
    analyzers = LuceneAnalyzers(analyses, tmp_path_factory.mktemp("lucene"), classpath)
    yield analyzers
    analyzers.close()


def _flores(language: str) -> list[str]:
    sentences = flores_sentences(language)
    if sentences is None:
        _missing(f"FLORES-200 devtest in {flores_dir()}",
                 "set TOLK_FLORES_DIR or TOLK_PARALLEL_DIR to its folder")
    return sentences


# --- the settings themselves (no Java needed) ---------------------------------------

@pytest.mark.parametrize("language", ["nl", "en"])
def test_settings_define_every_name_they_use(language):
    analysis = analysis_settings(language)
    assert set(analysis["analyzer"]) == {ANALYZERS[language], SEARCH_ANALYZERS[language]}
    for analyzer in analysis["analyzer"].values():
        assert analyzer["tokenizer"] in analysis["tokenizer"]
        assert all(name in analysis["char_filter"] for name in analyzer["char_filter"])
        assert all(name == "lowercase" or name in analysis["filter"] for name in analyzer["filter"])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_settings_regexes_are_ascii(language):
    """Non-ASCII characters in patterns are written ``\\x{XXXX}`` (Java and RE2 read them)."""
    analysis = analysis_settings(language)
    patterns = [t["pattern"] for t in analysis["tokenizer"].values()]
    patterns += [f[key] for f in analysis["filter"].values()
                 for key in ("pattern", "keywords_pattern") if key in f]
    assert patterns and all(p.isascii() and p.isprintable() for p in patterns), patterns
    assert "\\x{2019}" in analysis["filter"][f"tolk_{language}_apostrophe"]["pattern"]


def test_stemmer_follows_tolks_choice(monkeypatch):
    monkeypatch.setitem(tolk_analysis.STEMMER_ALGORITHMS, "nl", "dutch_porter")
    assert analysis_settings("nl")["filter"]["tolk_nl_stem"]["language"] == "Dutch"
    assert stemmer_is_exact("nl")
    monkeypatch.setitem(tolk_analysis.STEMMER_ALGORITHMS, "nl", "dutch")
    assert analysis_settings("nl")["filter"]["tolk_nl_stem"]["language"] == "Kp"
    assert not stemmer_is_exact("nl")
    snowball3 = analysis_settings("nl", os_analysis.SNOWBALL3_LANGUAGES)
    assert snowball3["filter"]["tolk_nl_stem"]["language"] == "Dutch"
    monkeypatch.setitem(tolk_analysis.STEMMER_ALGORITHMS, "nl", "klingon")
    with pytest.raises(ValueError, match="klingon"):
        analysis_settings("nl")
    with pytest.raises(ValueError, match="unsupported language"):
        analysis_settings("de")


def test_stem_overrides_come_from_the_table():
    rules = analysis_settings("nl")["filter"]["tolk_nl_stem_override"]["rules"]
    table = tolk_analysis.load_stem_overrides("nl")
    assert len(rules) == len(table) and "fietsen => fiets" in rules


# --- Lucene against Tolk ---------------------------------------------------------

SURFACE = [
    ("nl", "Poetin's foto's en zo'n rock'n'roll, Putin\u2019s speech"),
    ("nl", "Oekrai\u0308ne (NFD) en Oekraïne, Poe\u200dtin, Poe\u00adtin, Poe\u200btin"),
    ("nl", "Wit-Rusland, Minsk-akkoorden, COVID-19 en foo_bar"),
    ("nl", "130.000 mensen, 1,5 km, 1.234,5 euro, 2,000 en 3.14 en 1.2.3"),
    ("en", "130,000 people, 1.5 km, 1,234.5 dollars, 2.000 and 12,345,678"),
    ("en", "The US and the WHO; A man, I think; THE END of it"),
    ("en", "\ufb01nancial ĳs Ｆｕｌｌｗｉｄｔｈ café Straße Ørsted Łódź ²3"),
    ("nl", "De VS en de EU, Het Kabinet, IJsland en ĲSSELMEER"),
    ("en", "a\u0000b\u0007c tab\there new\nline"),
    ("nl", "één", ),
    ("en", "breath-taking e-mails, COVID-19 and 3-D, well-known x-ray"),
    ("nl", "19-jarige oud-premier, Noord-Holland en Wit-Russische e-mails"),
    ("en", "24½ inches, ¼ and ⅟ and ↉, 3¾-inch, 1⅞ miles, ½"),
]


@pytest.mark.parametrize("language,text", SURFACE)
def test_surface_forms_give_the_same_terms(lucene, language, text):
    for mode, names in MODES:
        expected = tolk_terms(language, text, mode, "dutch_porter" if language == "nl" else None)
        name = names[language]
        if language == "nl":
            name = variant_name(name, "dutch_porter")
        assert lucene.terms(name, text) == expected, (mode, text)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_numbers_normalize_like_tolk(lucene, language):
    rng = random.Random(17)
    numbers = set()
    while len(numbers) < 400:
        groups = [str(rng.randint(0, 10 ** rng.randint(1, 4))) for _ in range(rng.randint(2, 5))]
        text = groups[0]
        for group in groups[1:]:
            text += rng.choice(".,") + group.zfill(rng.choice((len(group), 3)))
        numbers.add(text)
    for text in sorted(numbers):
        expected = [normalize_number(text, language)]
        assert lucene.terms(SEARCH_ANALYZERS[language], text) == expected, text


def test_odd_inputs(lucene):
    assert lucene.terms("tolk_en", "." * 100_000) == tolk_terms("en", "." * 100_000, "index") == []
    assert lucene.terms("tolk_nl", "Kabinet") == tolk_terms("nl", "Kabinet", "index")
    long_word = "a" * (MAX_TOKEN_CHARS + 1)
    # Documented difference: Lucene refuses terms over 32,766 bytes, so the settings drop them.
    assert lucene.terms("tolk_en", f"alpha {long_word} omega") == ["alpha", "omega"]
    assert tolk_terms("en", f"alpha {long_word} omega", "index") == ["alpha", long_word, "omega"]
    seeds = " ".join(seed_texts()["en"])
    big = seeds * (2_000_000 // len(seeds) + 1)  # 2 MB in one text
    assert len(big) > 2_000_000
    result = agreement([(tolk_terms("en", big, "index"), lucene.terms("tolk_en", big))])
    assert result["token_agreement"] >= SEEDS_MIN[("en", "english")], result


@pytest.mark.parametrize("language,algorithm", RUNS)
def test_seed_agreement(lucene, language, algorithm):
    texts = seed_texts()[language]
    assert texts
    for mode, names in MODES:
        name = variant_name(names[language], algorithm)
        result = agreement((tolk_terms(language, t, mode, algorithm), lucene.terms(name, t))
                           for t in texts)
        print(language, algorithm, mode, result)
        assert result["token_agreement"] >= SEEDS_MIN[(language, algorithm)], result


@pytest.mark.parametrize("language,algorithm", RUNS)
def test_flores_agreement(lucene, language, algorithm):
    texts = _flores(language)
    assert len(texts) > 1000
    for mode, names in MODES:
        name = variant_name(names[language], algorithm)
        result = agreement((tolk_terms(language, t, mode, algorithm), lucene.terms(name, t))
                           for t in texts)
        print(language, algorithm, mode, result)
        assert result["token_agreement"] >= FLORES_MIN[(language, algorithm)], result


@pytest.mark.parametrize("language,algorithm", sorted(WORDS_MAX))
def test_flores_words_differ_only_in_known_classes(lucene, language, algorithm):
    total, classes, examples = word_differences(lucene, language, _flores(language), algorithm)
    print(language, algorithm, total, dict(classes), examples)
    assert sum(classes.values()) <= WORDS_MAX[(language, algorithm)] * total, examples
    # Stopwords and folding never differ; with the same algorithm, neither does a stem.
    assert "stopword" not in classes, examples
    # Hyphenated wholes are stemmed alike, fractions fold alike.
    assert "hyphenated" not in classes and "number" not in classes, examples
    if algorithm == "dutch_porter":  # the same algorithm on both sides
        assert "stemmer" not in classes, examples


@pytest.fixture
def porter_dutch(monkeypatch):
    """Tolk configured with PyStemmer's dutch_porter (fresh cached analyzers)."""
    monkeypatch.setitem(tolk_analysis.STEMMER_ALGORITHMS, "nl", "dutch_porter")
    tolk_analysis.analyzer_for.cache_clear()
    yield
    tolk_analysis.analyzer_for.cache_clear()


def test_probes_detect_the_stemmer_version(lucene):
    # Debian's Lucene 8.7 predates Snowball 3: its English lacks the new exceptions.
    english = os_analysis.probe_mismatches("en", lucene.terms)
    assert {"international", "university", "added"} <= set(english)
    assert "running" not in english


def test_probes_tell_the_dutch_stemmers_apart(lucene, porter_dutch):
    def porter(name, text):
        return lucene.terms(variant_name(name, "dutch_porter"), text)

    def kraaij_pohlmann(name, text):
        return lucene.terms(variant_name(name, "dutch"), text)

    assert os_analysis.probe_mismatches("nl", porter) == {}
    assert {"aangeleerde", "Oekraïne"} <= set(os_analysis.probe_mismatches("nl", kraaij_pohlmann))


def test_probes_show_lucenes_kp_is_not_snowball3_dutch(lucene, monkeypatch):
    monkeypatch.setitem(tolk_analysis.STEMMER_ALGORITHMS, "nl", "dutch")
    tolk_analysis.analyzer_for.cache_clear()
    try:
        mismatches = os_analysis.probe_mismatches(
            "nl", lambda name, text: lucene.terms(variant_name(name, "dutch"), text))
    finally:
        tolk_analysis.analyzer_for.cache_clear()
    # The same algorithm, but the old program strips ge- where the new one keeps it.
    assert "gevaar" in mismatches and "aangeleerde" not in mismatches, mismatches


def test_choose_snowball_picks_the_engines_matching_name(lucene):
    def stem_remote(name, words):
        if name not in LUCENE8_SNOWBALL:
            return None  # the engine refuses it, as Lucene 8.7 would "Dutch_porter"
        return lucene.terms(f"stem:{name}", " ".join(words))

    assert os_analysis.choose_snowball("nl", stem_remote, "dutch_porter") == ("Dutch", 6, 6)
    name, agreeing, total = os_analysis.choose_snowball("nl", stem_remote, "dutch")
    assert name == "Kp" and total - agreeing == 2  # gevaar, geeft: old Kp strips ge-
    name, agreeing, total = os_analysis.choose_snowball("en", stem_remote, "english")
    assert name == "English" and agreeing < total  # Lucene 8.7 predates Snowball 3
    with pytest.raises(ValueError, match="no Snowball stemmer"):
        os_analysis.choose_snowball("nl", lambda name, words: None, "dutch")


def test_compound_tails_follow_the_override_table(monkeypatch, tmp_path):
    """When Tolk's StemFilter stems a compound by its overridden tail (kleinkinderen ->
    klein + kind), the settings do the same; without that rule they add nothing."""
    with monkeypatch.context() as without_rule:  # an analysis without the rule adds nothing
        without_rule.delattr(tolk_analysis, "MIN_OVERRIDE_TAIL")
        assert not any("override_tail" in name for name in analysis_settings("nl")["filter"])
    assert any("override_tail" in name for name in analysis_settings("nl")["filter"])
    classpath = lucene_classpath()
    if classpath is None:
        _missing("a JDK or liblucene8-java", "make debs-test installs both")
    engine = LuceneAnalyzers([analysis_settings("nl")], tmp_path, classpath)
    try:
        terms = {word: engine.terms("tolk_nl_search", word)
                 for word in ("kleinkinderen", "wolfskinderen", "bromfietsen", "kinderen",
                              "ongevallen", "kinderachtig")}
    finally:
        engine.close()
    assert terms["kleinkinderen"] == ["kleinkind"] and terms["wolfskinderen"] == ["wolfskind"]
    assert terms["bromfietsen"] == ["bromfiets"] and terms["kinderen"] == ["kind"]
    assert terms["ongevallen"] == ["ongeval"]
    assert terms["kinderachtig"] == tolk_terms("nl", "kinderachtig", "query")  # no tail: stemmed
