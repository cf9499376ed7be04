"""The curated table: parsing, comments, clear errors, the shipped file."""

import pytest

from index.crosslink.curated import CuratedError, curated_links, load_curated, parse_curated


def test_parse_comments_blank_lines_and_notes():
    text = "# comment\n\nNAVO\tNATO\tacronym\n  # indented comment\nMoskou\tMoscow\n"
    pairs = parse_curated(text)
    assert [(p.nl, p.en, p.note, p.line) for p in pairs] == [
        ("NAVO", "NATO", "acronym", 3), ("Moskou", "Moscow", "", 5)]


def test_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "links.tsv"
    path.write_text("NAVO\tNATO\n# ok\nonly-one-field\n", encoding="utf-8")
    with pytest.raises(CuratedError, match=r"links.tsv:3: expected 'Dutch<TAB>English<TAB>note'"):
        load_curated(path)


def test_stopword_only_entry_is_an_error():
    with pytest.raises(CuratedError, match="Dutch 'de' has no index terms"):
        parse_curated("de\tthe\n")


def test_links_are_analyzed_terms_weight_one(tmp_path):
    path = tmp_path / "links.tsv"
    path.write_text("VS\tUS\tacronym\nVerenigd Koninkrijk\tUnited Kingdom\t\n"
                    "Wit-Rusland\tBelarus\n", encoding="utf-8")
    links = curated_links(path)
    assert links == [("vs", "us", 1.0, "VS", "US"),
                     ("verenigd koninkrijk", "unit kingdom", 1.0, "Verenigd Koninkrijk",
                      "United Kingdom"),
                     ("witrusland", "belarus", 1.0, "Wit-Rusland", "Belarus")]


def test_shipped_table_parses_and_has_the_basics():
    terms = {(nl, en) for nl, en, *_ in curated_links()}
    for pair in [("navo", "nato"), ("vs", "us"), ("vn", "un"), ("vk", "uk"), ("eu", "eu"),
                 ("kiev", "kyiv"), ("moskou", "moscow"), ("oekraine", "ukrain"),
                 ("rusland", "russia"), ("witrusland", "belarus"), ("krim", "crimea")]:
        assert pair in terms
