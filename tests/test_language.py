"""Language detection: seeds, made-up Dutch and English, other languages rejected."""

from __future__ import annotations

import time

import pytest

from index.ingest import language
from index.ingest.cleaning import clean_text
from index.ingest.language import Detection, LanguageError, detect_language

from conftest import SEEDS

DUTCH = [
    "De gemeenteraad van Groningen heeft donderdagavond ingestemd met het plan om het "
    "stadscentrum autovrij te maken. Winkeliers vrezen dat klanten wegblijven.",
    "Het KNMI waarschuwt voor gladheid op de wegen in het noorden van het land. Vooral in de "
    "ochtendspits kunnen automobilisten problemen verwachten.",
    "Zij hebben het niet gedaan.",
    "De regering heeft de begroting niet aangenomen.",
]
ENGLISH = [
    "The city council voted on Thursday night to ban cars from the town centre. Shop owners "
    "fear that customers will stay away.",
    "Forecasters have warned of icy roads across the north of the country, with the worst "
    "conditions expected during the morning rush hour.",
    "He said that it was over.",
    "The government has not adopted the budget.",
]
GERMAN = ("Die Bundesregierung hat am Dienstag beschlossen, die Unterstützung für die Städte zu "
          "erhöhen, weil die Kosten der Pflege stark steigen.")
FRENCH = ("Le gouvernement a décidé mardi d'augmenter son soutien aux villes, car les coûts des "
          "soins augmentent fortement.")
AFRIKAANS = ("Die regering het Dinsdag besluit om die steun aan die munisipaliteite te verhoog, "
             "omdat die koste van sorg vinnig styg. Hulle sê dit is nie genoeg nie.")


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_seeds_are_detected_with_high_confidence(path):
    raw = path.read_text(encoding="utf-8")
    expected = "en" if path.name.startswith("004") else "nl"
    for text in (raw, clean_text(raw).text):
        detection = detect_language(text)
        assert isinstance(detection, Detection)
        assert detection.language == expected
        assert detection.confidence > 0.9
        assert 0.0 <= detection.confidence <= 1.0
        assert set(detection.scores) == {"nl", "en"}
        other = "nl" if expected == "en" else "en"
        assert detection.scores[expected] > detection.scores[other]


@pytest.mark.parametrize("text", DUTCH)
def test_made_up_dutch(text):
    detection = detect_language(text)
    assert detection.language == "nl" and detection.confidence >= language.MIN_CONFIDENCE


@pytest.mark.parametrize("text", ENGLISH)
def test_made_up_english(text):
    detection = detect_language(text)
    assert detection.language == "en" and detection.confidence >= language.MIN_CONFIDENCE


@pytest.mark.parametrize("text,name", [(GERMAN, "German (de)"), (FRENCH, "French (fr)"),
                                       (AFRIKAANS, "Afrikaans (af)")])
def test_other_languages_raise_a_clear_error(text, name):
    with pytest.raises(LanguageError) as info:
        detect_language(text)
    message = str(info.value)
    assert f"detected {name}" in message
    assert "Tolk indexes Dutch (nl) and English (en) only" in message
    assert "give 'language' explicitly" in message


def test_language_error_is_a_value_error():
    assert issubclass(LanguageError, ValueError)


@pytest.mark.parametrize("text", ["", "   ", "12345 678 2022", "2022-02-10 13:06 100.000 130,000",
                                  "!!! ??? ...", "\u2022 \u2022 \u2022"])
def test_text_without_words_raises(text):
    with pytest.raises(LanguageError, match="no words"):
        detect_language(text)


@pytest.mark.parametrize("text", ["Poetin", "Putin", "ok"])
def test_too_little_text_raises(text):
    with pytest.raises(LanguageError, match="give 'language' explicitly"):
        detect_language(text)


@pytest.mark.parametrize("text,expected", [
    # Name-heavy snippets where the model alone is unsure (top probability < 0.5 or
    # another language on top); their function words decide.
    ("The Director of the Rijksmuseum, Taco Dibbits, said", "en"),
    ("Professor Maria Kowalski of the University of Leeds", "en"),
])
def test_short_name_heavy_snippets_are_rescued_by_function_words(text, expected):
    top, top_prob = language._get_identifier().rank(text)[0]
    assert top != expected or top_prob < language.MIN_CONFIDENCE  # the model alone would refuse
    detection = detect_language(text)
    assert detection.language == expected
    assert detection.confidence < language.MIN_CONFIDENCE  # honest: the model's own probability


@pytest.mark.parametrize("text", [
    "Die Regierung hat den Haushalt nicht angenommen.",
    "Die regering het die begroting nie aanvaar nie.",
    "Le gouvernement n'a pas adopté le budget.",
    # Afrikaans, with Dutch-looking function words (geen, uit, te) the model is unsure
    # about: the Afrikaans "nie" blocks the rescue
    "Geen sleutel om uit te voer nie.",
    "Geen lys om uit te druk nie.",
])
def test_rescue_does_not_accept_short_foreign_sentences(text):
    with pytest.raises(LanguageError):
        detect_language(text)


def test_long_text_is_sampled_and_fast():
    text = (DUTCH[0] + " ") * 5000  # ~800 kB
    detect_language(DUTCH[1])  # model loaded
    start = time.perf_counter()
    detection = detect_language(text)
    assert time.perf_counter() - start < 0.5
    assert detection.language == "nl"


def test_model_is_loaded_once():
    assert language._get_identifier() is language._get_identifier()
