import json

import pytest

from index.ingest.documents import (DocumentError, RawDocument, Skipped, prepare, raw_from_mapping,
                             read_paths)

from conftest import SEEDS

DUTCH = ("Het kabinet heeft dinsdag besloten de steun aan de gemeenten te verhogen. "
         "Volgens de minister is dat nodig omdat de kosten van de zorg sterk stijgen.")
ENGLISH = ("The government decided on Tuesday to raise its support for the cities. "
           "According to the minister this is needed because the costs of care are rising.")


def test_reads_txt_and_jsonl_from_folders(tmp_path):
    (tmp_path / "a.txt").write_text(DUTCH, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "batch.jsonl").write_text(
        json.dumps({"id": "b", "text": ENGLISH, "url": "http://x"}) + "\n\n"
        + "{not json\n"
        + json.dumps({"id": "../etc", "text": "x"}) + "\n"
        + json.dumps({"id": "c", "text": ENGLISH, "colour": "red"}) + "\n",
        encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    items = list(read_paths([tmp_path]))
    raws = [i for i in items if isinstance(i, RawDocument)]
    skips = [i for i in items if isinstance(i, Skipped)]
    assert [r.id for r in raws] == ["a", "b"]
    assert raws[1].url == "http://x" and raws[1].origin.endswith("batch.jsonl:1")
    reasons = " | ".join(s.reason for s in skips)
    assert "invalid JSON" in reasons
    assert "id: invalid document id" in reasons
    assert "colour: unknown field" in reasons
    assert "not UTF-8" in reasons
    assert len(skips) == 4


def test_a_jsonl_line_with_a_lone_surrogate_is_skipped_not_a_crash(tmp_path):
    (tmp_path / "batch.jsonl").write_text(
        '{"id": "bad", "text": "x\\ud800y"}\n' + json.dumps({"id": "ok", "text": DUTCH}) + "\n",
        encoding="utf-8")
    items = list(read_paths([tmp_path]))
    assert [i.id for i in items if isinstance(i, RawDocument)] == ["ok"]
    (skip,) = [i for i in items if isinstance(i, Skipped)]
    assert "surrogate" in skip.reason


def test_missing_path_is_reported():
    (skip,) = list(read_paths(["/nonexistent/tolk"]))
    assert isinstance(skip, Skipped) and "no such file" in skip.reason


@pytest.mark.parametrize("record,field", [
    ({"text": "x"}, "id"),
    ({"id": "a"}, "text"),
    ({"id": "a", "text": "   "}, "text"),
    ({"id": "a b", "text": "x"}, "id"),
    ({"id": "a", "text": "x", "language": "de"}, "language"),
    ({"id": "a", "text": "x", "date": "22-02-2022"}, "date"),
    ({"id": "a", "text": "x", "title": 5}, "title"),
    ({"id": "a\n", "text": "x"}, "id"),
    ({"id": "a", "text": "x", "date": "2022-02\n"}, "date"),
    ({"id": "a", "text": "x\ud800y"}, "text"),
    ({"id": "a", "text": "x", "title": "\udfff"}, "title"),
])
def test_invalid_records_name_the_field(record, field):
    with pytest.raises(DocumentError) as info:
        raw_from_mapping(record)
    assert field in info.value.errors


def test_given_values_win_over_detection():
    raw = RawDocument(id="x", text=DUTCH, title="Mijn titel", language="en", date="2021-05-04")
    doc = prepare(raw)
    assert (doc.title, doc.language, doc.date) == ("Mijn titel", "en", "2021-05-04")
    assert doc.language_confidence == 1.0


def test_prepare_detects_and_keeps_the_original():
    for path in sorted(SEEDS.glob("*.txt")):
        original = path.read_text(encoding="utf-8")
        doc = prepare(RawDocument(id=path.stem, text=original))
        assert doc.original == original
        assert doc.language == ("en" if path.name.startswith("004") else "nl")
        assert doc.title
        # 004 carries no date in its text; the others do.
        if path.name.startswith("004"):
            assert doc.date is None
        else:
            assert doc.date.startswith("2022-02")
        assert len(doc.text) < len(original)


def test_text_in_another_language_is_rejected_with_a_clear_message():
    german = ("Die Bundesregierung hat am Dienstag beschlossen, die Unterstützung für die "
              "Städte zu erhöhen, weil die Kosten der Pflege stark steigen.")
    with pytest.raises(DocumentError, match="language"):
        prepare(RawDocument(id="de", text=german))
