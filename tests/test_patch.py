"""index.ingest.patch: merging a partial update into a stored document."""

import pytest

from index.ingest.documents import DocumentError, RawDocument, prepare
from index.ingest.patch import given_values, merge_patch
from index.storage import document_fields

TEXT = ("Fietsbrug in Zwolle\n\n10 februari 2022 13:06\n\nDe gemeenteraad van Zwolle heeft "
        "dinsdag besloten een nieuwe fietsbrug over de IJssel te bouwen. De brug moet in 2025 "
        "klaar zijn en kost ruim twaalf miljoen euro.")


def stored(**given):
    """The stored fields of a prepared document, as the index hands them back."""
    fields = document_fields(prepare(RawDocument(id="d1", text=TEXT, **given)))
    fields["url"] = given.get("url")
    return fields


@pytest.mark.parametrize("given", [
    {}, {"title": "Eigen titel"}, {"date": "2023-05-02"}, {"language": "en"},
    {"title": "T", "date": "2023-05", "language": "nl"},
])
def test_given_values_are_told_apart_from_extracted_ones(given):
    """Guards the coupling with the decisions ``prepare`` writes."""
    expected = {"title": None, "date": None, "language": None, **given}
    assert given_values(stored(**given)) == expected


def test_metadata_patch_keeps_the_analysis():
    before = stored(url="https://x.test/")
    patched = merge_patch(before, {"source": "NOS", "url": None})
    doc = patched.document
    assert patched.reanalyzed == []
    assert (doc.source, doc.url) == ("NOS", None)
    assert (doc.text, doc.title, doc.language, doc.decisions) == (
        before["body"], before["title"], before["language"], before["decisions"])


def test_removing_a_given_title_and_date_brings_back_the_extracted_ones():
    extracted = stored()
    patched = merge_patch(stored(title="Eigen", date="2023-01"), {"title": None, "date": None})
    assert patched.reanalyzed == ["cleaning"]
    assert (patched.document.title, patched.document.date) == (extracted["title"],
                                                               extracted["date"])
    assert patched.document.decisions == extracted["decisions"]


def test_giving_a_value_replaces_only_its_decision():
    before = stored()
    doc = merge_patch(before, {"title": "Nieuw", "language": "nl"}).document
    assert doc.title == "Nieuw" and doc.language_confidence == 1.0
    assert "title given" in doc.decisions and "language nl (given)" in doc.decisions
    kept = [d for d in before["decisions"] if not d.startswith(("title ", "language "))]
    assert [d for d in doc.decisions if not d.startswith(("title ", "language "))] == kept


def test_same_text_is_not_reanalyzed_and_a_new_one_is():
    assert merge_patch(stored(), {"text": TEXT}).reanalyzed == []
    patched = merge_patch(stored(title="Eigen"), {"text": "The city council of Zwolle decided "
                                                          "on Tuesday to build a new bridge."})
    assert patched.reanalyzed == ["cleaning", "language"]
    assert patched.document.language == "en" and patched.document.title == "Eigen"


def test_a_new_text_in_another_language_is_refused():
    with pytest.raises(DocumentError):
        merge_patch(stored(), {"text": "Der Stadtrat hat am Dienstag beschlossen, eine neue "
                                       "Fahrradbrücke über den Fluss zu bauen, sagte der "
                                       "Bürgermeister der Stadt am Abend."})
