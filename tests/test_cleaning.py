"""Cleaning: the seeds, made-up Dutch and English texts per rule, odd input."""

from __future__ import annotations

import random
import unicodedata

import pytest

from index.ingest.cleaning import (CleanedText, clean_text, first_sentence, is_headline,
                            parse_date_line, title_from_sentence)

from conftest import SEEDS


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def reasons(cleaned: CleanedText) -> list[str]:
    return [d.reason for d in cleaned.dropped]


def dropped_texts(cleaned: CleanedText, reason: str) -> list[str]:
    return [d.text for d in cleaned.dropped if d.reason == reason]


def paragraphs(cleaned: CleanedText) -> list[str]:
    return cleaned.text.split("\n\n")


# --------------------------------------------------------------------------
# Seeds

def test_seed_000_date_header_leaves_the_first_sentence():
    cleaned = clean_text(seed("000"))
    assert cleaned.date == "2022-02"
    assert reasons(cleaned) == ["date header"]
    assert cleaned.text.startswith("Het Russische parlement heeft president Vladimir Poetin")
    assert "date 2022-02" not in cleaned.text
    assert cleaned.title_source == "first sentence"
    assert cleaned.title.startswith("Het Russische parlement heeft president Vladimir Poetin")
    assert len(cleaned.title) <= 91 and not cleaned.title.endswith(" …")
    # the mid-text subheading stays, and so does every paragraph
    assert "Poetin heeft vredesakkoorden Oost-Oekraïne doodverklaard" in paragraphs(cleaned)
    assert len(paragraphs(cleaned)) == 10
    assert cleaned.text.endswith("waaronder een wapenstilstand.")


def test_seed_001_photo_credits_are_dropped_subheadings_kept():
    cleaned = clean_text(seed("001"))
    assert cleaned.date == "2022-02"
    assert dropped_texts(cleaned, "photo credit") == ["Beeld EPA", "Beeld AP"]
    assert "Beeld" not in cleaned.text
    assert cleaned.title == ("Ook is niet bekend om hoeveel militairen het gaat en waar ze zich "
                             "precies bevinden")
    assert "Diplomatie" in paragraphs(cleaned)
    assert "Nieuwe foto's" in paragraphs(cleaned)  # starts no credit: stays
    assert "\u201cOnze mogelijkheden zijn verre van uitgeput\u201d" in cleaned.text  # curly quotes kept
    assert cleaned.text.endswith("De nieuwe beelden werden zondag en maandag genomen.")


def test_seed_002_second_copy_of_the_text_is_dropped():
    original = seed("002")
    cleaned = clean_text(original)
    assert cleaned.date == "2022-02"
    assert reasons(cleaned) == ["date header", "repeated paragraph"]
    first = ("Russische troepen gaan terugkeren naar hun thuisbasis nu ze hun oefeningen hebben "
             "afgerond aan de Oekraïense grens.")
    assert cleaned.text.count(first) == 1
    assert cleaned.text.count("'De gevechtstrainingen komen op hun einde") == 1
    assert original.count("Rusland voert ook nog militaire oefeningen uit in Wit-Rusland") == 2
    assert cleaned.text.count("Rusland voert ook nog militaire oefeningen uit in Wit-Rusland") == 1
    assert len(paragraphs(cleaned)) == 7
    assert cleaned.text.endswith("die nog zouden lopen tot 20 februari.")


def test_seed_003_headline_date_line_and_site_boilerplate():
    cleaned = clean_text(seed("003"))
    assert cleaned.title == "Rusland teleurgesteld na overleg met Verenigd Koninkrijk"
    assert cleaned.title_source == "headline"
    assert cleaned.date == "2022-02-10"
    assert reasons(cleaned) == [  # in document order
        "section label", "agency line", "date line", "newsletter promo", "newsletter promo",
        "error report line", "navigation"]
    assert dropped_texts(cleaned, "section label") == ["Buitenland"]
    assert dropped_texts(cleaned, "agency line") == ["ANP"]
    assert dropped_texts(cleaned, "navigation") == ["Home\nKrant\nMedia\nPuzzels\nMeer"]
    text = cleaned.text
    # the headline is kept as the first paragraph of the body
    assert paragraphs(cleaned)[0] == "Rusland teleurgesteld na overleg met Verenigd Koninkrijk"
    assert paragraphs(cleaned)[1].startswith("De Russische buitenlandminister Sergei Lavrov")
    assert "Truss vindt dat Rusland" in text
    for gone in ("Buitenland", "ANP", "13:06", "mailbox", "nieuwsbrief", "taalfout", "Puzzels",
                 "Krant", "Home"):
        assert gone not in text, gone
    assert text.endswith("nooit lid wordt van de NAVO.")


def test_seed_004_headline_tags_and_comments():
    cleaned = clean_text(seed("004"))
    assert cleaned.title_source == "headline"
    assert cleaned.title == ("After \u201cdeclaring their independence\u201d, Putin ordered the "
                             "Russian army to enter the separatist regions of Donetsk and Lugansk")
    assert cleaned.date is None
    assert reasons(cleaned) == ["tag run", "comment section"]
    (comments,) = dropped_texts(cleaned, "comment section")
    assert comments.startswith("Comments (1)\nAdd Comment") and "Mr Rearguard" in comments
    text = cleaned.text
    assert "Mr Rearguard" not in text and "fake news" not in text
    assert "armybombings" not in text and "iohannisRomania" not in text
    assert "Comments" not in text and "\u00a0" not in text
    # the mid-text subheading stays
    assert "Iohannis: Russia threatens global peace and security" in paragraphs(cleaned)
    assert text.endswith("released by Cotroceni Palace.")
    assert "\U0001f1f7\U0001f1f4" in text  # flag emoji are content, not noise


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seeds_lose_no_sentence_of_the_article(prefix):
    original = unicodedata.normalize("NFC", seed(prefix))
    cleaned = clean_text(original)
    dropped = "\n".join(d.text for d in cleaned.dropped)
    for line in original.splitlines():
        line = line.replace("\u00a0", " ").strip()
        if line.endswith(".") and len(line) > 80:
            # every long sentence line is either kept or was dropped as a repeat/comment
            assert line.removeprefix("date 2022-02 ") in cleaned.text or line in dropped


@pytest.mark.parametrize("prefix", ["000", "003", "004"])
def test_windows_line_endings_give_the_same_result(prefix):
    unix = clean_text(seed(prefix))
    windows = clean_text(seed(prefix).replace("\n", "\r\n"))
    assert windows == unix


# --------------------------------------------------------------------------
# Made-up texts, one rule at a time

DUTCH_ARTICLE = """\
Binnenland

Gemeente Utrecht sluit drie zwembaden deze zomer

Het college van Utrecht heeft woensdag besloten drie zwembaden tijdelijk te sluiten. Volgens de wethouder zijn de energiekosten te hoog geworden.

Reuters/AFP
Gepubliceerd: woensdag 3 maart 2021, 14.05 uur

De oppositie reageerde boos. \u201cDit raakt vooral gezinnen met kinderen\u201d, zei een raadslid.

Foto: ANP / Jan de Vries

Schrijf je in voor onze nieuwsbrief en ontvang elke ochtend het laatste nieuws.

Zag je een fout? Mail naar tips@voorbeeld.nl

Reacties (3)
\u2022 Piet
Schandalig besluit.
"""

ENGLISH_ARTICLE = """\
World

Floods force thousands from their homes in northern Italy

Heavy rain has forced thousands of people to leave their homes in northern Italy, officials said on Sunday.

Associated Press
March 5, 2023 at 9:41 pm GMT

Rescue teams used boats to reach villages cut off by the water.

Image: Getty Images/Marco Rossi

Sign up for our daily newsletter to get the news first.

Spotted a typo? Let us know at corrections@example.com

Leave a comment
\u2022 jdoe
This is terrible news.
"""


def test_made_up_dutch_article():
    cleaned = clean_text(DUTCH_ARTICLE)
    assert cleaned.title == "Gemeente Utrecht sluit drie zwembaden deze zomer"
    assert cleaned.title_source == "headline"
    assert cleaned.date == "2021-03-03"
    assert dropped_texts(cleaned, "section label") == ["Binnenland"]
    assert dropped_texts(cleaned, "agency line") == ["Reuters/AFP"]
    assert dropped_texts(cleaned, "date line") == ["Gepubliceerd: woensdag 3 maart 2021, 14.05 uur"]
    assert dropped_texts(cleaned, "photo credit") == ["Foto: ANP / Jan de Vries"]
    assert len(dropped_texts(cleaned, "newsletter promo")) == 1
    assert dropped_texts(cleaned, "error report line") == ["Zag je een fout? Mail naar tips@voorbeeld.nl"]
    assert dropped_texts(cleaned, "comment section") == ["Reacties (3)\n\u2022 Piet\nSchandalig besluit."]
    assert paragraphs(cleaned) == [
        "Gemeente Utrecht sluit drie zwembaden deze zomer",
        "Het college van Utrecht heeft woensdag besloten drie zwembaden tijdelijk te sluiten. "
        "Volgens de wethouder zijn de energiekosten te hoog geworden.",
        "De oppositie reageerde boos. \u201cDit raakt vooral gezinnen met kinderen\u201d, "
        "zei een raadslid.",
    ]


def test_made_up_english_article():
    cleaned = clean_text(ENGLISH_ARTICLE)
    assert cleaned.title == "Floods force thousands from their homes in northern Italy"
    assert cleaned.date == "2023-03-05"
    assert sorted(set(reasons(cleaned))) == sorted({
        "section label", "agency line", "date line", "photo credit", "newsletter promo",
        "error report line", "comment section"})
    assert "terrible" not in cleaned.text and "Getty" not in cleaned.text
    assert "Rescue teams used boats" in cleaned.text
    assert len(paragraphs(cleaned)) == 3


@pytest.mark.parametrize("line,date", [
    ("10 February 2022 13:06", "2022-02-10"),
    ("10 februari 2022", "2022-02-10"),
    ("1 mei 2020, 09:30", "2020-05-01"),
    ("zo 12 okt. 2014 om 18:02", "2014-10-12"),
    ("Dinsdag 22 februari 2022", "2022-02-22"),
    ("February 22, 2022", "2022-02-22"),
    ("Feb 3rd 2021 10:15 am", "2021-02-03"),
    ("Updated: 7 Sept 2019", "2019-09-07"),
    ("Laatste update: 15 maart 2022 16:45", "2022-03-15"),
    ("2022-02-10", "2022-02-10"),
    ("2022-02-10 08:15", "2022-02-10"),
    ("2022-02-10T08:15:00+01:00", "2022-02-10"),
    ("24-12-2020", "2020-12-24"),
    ("ANP 10 februari 2022".removeprefix("ANP "), "2022-02-10"),
])
def test_date_lines_in_english_dutch_and_iso(line, date):
    assert parse_date_line(line) == date


@pytest.mark.parametrize("line", [
    "Op 10 februari 2022 sprak Rutte met Poetin.",
    "The talks began on February 22, 2022 in Geneva.",
    "31 februari 2022",  # no such day
    "2022-13-01",
    "10 februari",  # no year
    "2022",
    "",
])
def test_sentences_with_dates_and_impossible_dates_are_not_date_lines(line):
    assert parse_date_line(line) is None


def test_a_date_line_in_a_text_leaves_the_body_and_sets_the_date():
    text = ("Nieuwe regels voor drones\n\n12 januari 2023\n\n"
            "Vanaf volgend jaar moeten alle drones worden geregistreerd, meldt het ministerie.")
    cleaned = clean_text(text)
    assert cleaned.date == "2023-01-12"
    assert "2023" not in cleaned.text
    assert dropped_texts(cleaned, "date line") == ["12 januari 2023"]


def test_a_sentence_with_a_date_stays_and_gives_no_date():
    text = "Op 10 februari 2022 sprak premier Rutte in Den Haag met journalisten over de crisis."
    cleaned = clean_text(text)
    assert cleaned.text == text and cleaned.date is None and cleaned.dropped == []


def test_header_month_is_refined_by_a_later_date_line_of_the_same_month():
    cleaned = clean_text(" date 2022-02 De Kamer stemde in.\n\n14 februari 2022\n\nMeer volgt later.")
    assert cleaned.date == "2022-02-14"
    cleaned = clean_text(" date 2022-02 De Kamer stemde in.\n\n14 maart 2021\n\nMeer volgt later.")
    assert cleaned.date == "2022-02"


def test_full_iso_date_header_and_datum_header():
    assert clean_text("date 2021-11-30 The vote passed.").date == "2021-11-30"
    cleaned = clean_text("Datum: 2020-06 Het kabinet valt.")
    assert cleaned.date == "2020-06" and cleaned.text == "Het kabinet valt."
    # not a date: stays in the text
    cleaned = clean_text("date 2020-19 is no date at all.")
    assert cleaned.date is None and cleaned.text.startswith("date 2020-19")


@pytest.mark.parametrize("agency", ["ANP", "Reuters", "AP", "AFP", "Belga", "dpa", "(Belga)",
                                    "ANP/AFP", "Reuters, AP", "Bron: ANP", "Associated Press",
                                    "Agence France-Presse"])
def test_lone_agency_lines_are_dropped(agency):
    text = f"De brand woedde de hele nacht door.\n\n{agency}\n\nDe brandweer had het vuur pas in de ochtend onder controle."
    cleaned = clean_text(text)
    assert dropped_texts(cleaned, "agency line") == [agency]
    assert len(paragraphs(cleaned)) == 2


def test_agency_names_in_running_text_stay():
    text = "Volgens AP en Reuters is de brand onder controle.\n\nDe AP meldde later meer slachtoffers."
    assert clean_text(text).text == text


@pytest.mark.parametrize("word", ["Pa", "tt", "ap"])
def test_agency_acronyms_must_be_written_as_agencies_write_them(word):
    text = f"Hij keek naar zijn vader.\n\n{word}\n\nZijn vader keek terug."
    assert word in paragraphs(clean_text(text))


@pytest.mark.parametrize("credit", ["Beeld Reuters", "Beeld ANP / Remko de Waal", "Foto: Getty Images",
                                    "Foto's: Jan Jansen", "Photo: AFP", "Photograph: Sarah Lee/The Guardian",
                                    "Image: Reuters/Gleb Garanich", "Picture credit: PA Media",
                                    "(c) Reuters", "© ANP 2022", "Copyright Hollandse Hoogte"])
def test_photo_credits_are_dropped(credit):
    text = f"De schade aan het dorp is enorm.\n\n{credit}\n\nBewoners mogen voorlopig niet terug naar hun huizen."
    cleaned = clean_text(text)
    assert dropped_texts(cleaned, "photo credit") == [credit]


@pytest.mark.parametrize("line", [
    "Beeld van de dag",
    "Foto's van de ramp gingen de hele wereld over.",
    "Image quality matters less than speed, the researchers said.",
    "Photo opportunities were rare during the visit.",
])
def test_lines_about_photos_are_not_credits(line):
    text = f"Het nieuws van vandaag.\n\n{line}\n\nDaarna ging het gesprek over iets anders."
    assert line in clean_text(text).text


@pytest.mark.parametrize("promo", [
    "NU.nl in je mailbox?",
    "Het laatste nieuws in uw inbox?",
    "Ontvang onze dagelijkse nieuwsbrief",
    "Meld je aan voor de nieuwsbrief van De Krant.",
    "Schrijf u nu in voor onze gratis nieuwsbrief!",
    "Sign up for our newsletter",
    "Subscribe to the Morning Briefing newsletter.",
    "Get our best stories in your inbox",
])
def test_newsletter_promos_are_dropped(promo):
    text = f"De rechter sprak de verdachte vrij.\n\n{promo}\n\nHet OM gaat in hoger beroep."
    cleaned = clean_text(text)
    assert dropped_texts(cleaned, "newsletter promo") == [promo]
    assert "Het OM gaat in hoger beroep." in cleaned.text


def test_running_text_about_a_newsletter_stays():
    text = ("De krant stuurt sinds vorig jaar een wekelijkse nieuwsbrief naar alle abonnees, "
            "zei de hoofdredacteur.\n\n"
            "The company's newsletter reached a million readers in your country last year.")
    cleaned = clean_text(text)
    assert cleaned.text == text and cleaned.dropped == []


@pytest.mark.parametrize("line", [
    "Hebt u een taalfout gezien? Mail naar redactie@krant.nl",
    "Heb je een fout gezien in dit artikel? Laat het ons weten.",
    "Zie je een spelfout? Meld het via tips@site.nl",
    "Spotted a typo? Let us know at corrections@example.com",
    "See a mistake? Email us.",
    "Found an error in this story? Contact the desk.",
])
def test_error_report_lines_are_dropped(line):
    text = f"De trein reed dinsdag niet.\n\n{line}\n\nMorgen rijdt hij weer."
    assert dropped_texts(clean_text(text), "error report line") == [line]


def test_a_question_about_an_error_in_the_story_stays():
    text = "Wie heeft de fout gevonden? Dat bleef dinsdag onduidelijk.\n\nDe minister zweeg."
    assert clean_text(text).text == text


def test_navigation_at_the_end_and_menus_anywhere():
    text = ("Home\nNieuws\nSport\nZoeken\n\nHet kabinet valt over de stikstofwet. De premier "
            "biedt vanavond het ontslag aan.\n\nInloggen\n\nAbonneren\n\nContact")
    cleaned = clean_text(text)
    assert cleaned.text == "Het kabinet valt over de stikstofwet. De premier biedt vanavond het ontslag aan."
    assert dropped_texts(cleaned, "navigation") == ["Home\nNieuws\nSport\nZoeken\nInloggen\nAbonneren\nContact"]


def test_trailing_run_of_one_word_lines_is_navigation():
    text = ("The storm reached the coast on Monday night. Thousands lost power.\n\n"
            "Politics\n\nBusiness\n\nOpinion\n\nCrosswords")
    cleaned = clean_text(text)
    assert cleaned.text == "The storm reached the coast on Monday night. Thousands lost power."


def test_home_in_a_sentence_and_a_single_subheading_stay():
    text = ("The Home Office said on Monday that the rules will change.\n\n"
            "Reaction\n\n"
            "Charities welcomed the news, but said it came too late.\n\n"
            "Meer\n\n"
            "Officials will meet again next week.")
    cleaned = clean_text(text)
    assert cleaned.text == text and cleaned.dropped == []


GLUED_TAGS = [
    "politicsBrexitLondonparliamentBoris JohnsonUnited Kingdom",
    "verkiezingenTweede KamerRutteVVDformatieHaagkabinet",
    "Tags: Ukraine, Russia, NATO, Putin",
    "Trefwoorden: stikstof, boeren, Remkes",
]


@pytest.mark.parametrize("tags", GLUED_TAGS)
def test_tag_runs_are_dropped(tags):
    text = f"Het debat duurde tot diep in de nacht.\n\n{tags}\n\nDe stemming is volgende week."
    cleaned = clean_text(text)
    assert dropped_texts(cleaned, "tag run") == [tags]


@pytest.mark.parametrize("line", [
    "YouTube and TikTok ban InfoWars",
    "Apple brengt nieuwe iPhone en MacBook uit",
    "McDonald's en PlayStation werken samen aan een YouTube-kanaal.",
])
def test_camel_case_names_are_not_tag_runs(line):
    text = f"Het nieuws van vandaag.\n\n{line}\n\nDaarover later meer in deze krant."
    assert line in clean_text(text).text


@pytest.mark.parametrize("header", ["Comments (12)", "Reacties (3)", "Plaats een reactie", "Add Comment",
                                    "Leave a reply", "5 reacties", "Reageer op dit artikel"])
def test_comment_sections_are_cut_to_the_end(header):
    body = ("De wedstrijd tussen Ajax en PSV eindigde zondagmiddag in 2-2, nadat de thuisploeg "
            "lang had geleid.\n\nDe trainer was na afloop tevreden over het spel, maar baalde "
            "van de twee late tegendoelpunten in de laatste tien minuten.")
    text = f"{body}\n\n{header}\n\u2022 Klaas\nWat een slechte scheidsrechter.\n\nJan\nEens!"
    cleaned = clean_text(text)
    assert cleaned.text == body
    (section,) = dropped_texts(cleaned, "comment section")
    assert section.startswith(header) and section.endswith("Eens!")


def test_a_reactions_subheading_in_the_article_is_kept():
    text = ("Het kabinet is gevallen.\n\nReacties\n\nDe oppositie noemt het besluit "
            "onvermijdelijk. Werkgevers zijn bezorgd over de economie.")
    cleaned = clean_text(text)
    assert cleaned.text == text


def test_bare_comments_header_followed_by_commenters_is_cut():
    body = ("Prices rose again in March, the statistics office said on Friday, driven by the "
            "cost of food and energy. Economists had expected a much slower rise after two calm months.")
    text = f"{body}\n\nComments\n\u2022 anna_k\nToo expensive!\n\u2022 bob\nAgreed."
    assert clean_text(text).text == body


def test_a_comment_count_next_to_the_headline_drops_only_that_line():
    body = ("Het kabinet is dinsdagavond gevallen na een conflict over de stikstofwet. "
            "De premier biedt woensdag het ontslag aan bij de koning.")
    cleaned = clean_text(f"Kabinet gevallen\n\n12 reacties\n\n{body}\n\nDe oppositie wil snel verkiezingen.")
    assert dropped_texts(cleaned, "comment link") == ["12 reacties"]
    assert paragraphs(cleaned) == ["Kabinet gevallen", body, "De oppositie wil snel verkiezingen."]
    assert cleaned.title == "Kabinet gevallen"


def test_lines_of_only_spaces_nbsp_or_bullets_are_removed():
    text = "Eerste alinea.\n\u00a0\u00a0\n\u2022\n \u2022 \u2022\n---\n\nTweede alinea."
    cleaned = clean_text(text)
    assert cleaned.text == "Eerste alinea.\n\nTweede alinea."


def test_a_paragraph_repeated_in_the_middle_is_kept_once():
    a = "De gemeente wil meer woningen bouwen aan de rand van de stad, zegt de wethouder."
    b = "Bewoners van de wijk maken zich zorgen over het verkeer en het verdwijnen van groen."
    c = "Volgende maand beslist de gemeenteraad over het plan, dat al jaren wordt besproken."
    d = "Een woordvoerder van de provincie wilde niet reageren."
    cleaned = clean_text("\n\n".join([a, b, c, b, d]))
    assert paragraphs(cleaned) == [a, b, c, d]
    assert dropped_texts(cleaned, "repeated paragraph") == [b]


def test_a_later_copy_glued_from_earlier_paragraphs_is_dropped():
    a = "The ministry said troops would return to their bases after the exercises ended."
    sub = "Diplomacy"
    b = "Talks between the two leaders will continue in Geneva next week, officials said."
    c = "Analysts warned that the situation on the border remained tense for now."
    copy = " ".join([a, b, c])  # skips the subheading, other whitespace
    cleaned = clean_text("\n\n".join([a, sub, b, c, copy.replace(". ", ".  ")]))
    assert paragraphs(cleaned) == [a, sub, b, c]
    assert reasons(cleaned) == ["repeated paragraph"]


def test_a_paragraph_with_new_content_after_a_repeat_is_kept():
    a = "The ministry said troops would return to their bases after the exercises ended."
    b = a + " But satellite images showed new units arriving near the border on Tuesday."
    cleaned = clean_text(a + "\n\n" + b)
    assert paragraphs(cleaned) == [a, b]


# --------------------------------------------------------------------------
# Title

def test_a_short_first_sentence_is_not_taken_for_a_headline():
    text = "Dit is een korte zin.\n\nDaarna volgt de rest van het bericht over de gemeente."
    cleaned = clean_text(text)
    assert cleaned.title == "Dit is een korte zin"
    assert cleaned.title_source == "first sentence"
    assert cleaned.text == text


def test_title_from_a_long_first_sentence_is_cut_at_a_word_boundary():
    sentence = ("Het Internationaal Energieagentschap verwacht dat de vraag naar aardgas in "
                "Europa de komende jaren verder daalt door de overstap op warmtepompen.")
    cleaned = clean_text(sentence + " Dat staat in een dinsdag gepubliceerd rapport.")
    assert cleaned.title_source == "first sentence"
    assert 60 <= len(cleaned.title) <= 91
    assert cleaned.title.endswith("\u2026")
    assert sentence.startswith(cleaned.title[:-1])
    assert sentence[len(cleaned.title) - 1] == " "  # cut between words


def test_first_sentence_is_not_ended_by_abbreviations():
    assert first_sentence("Volgens mr. De Vries is het besluit onwettig. Hij gaat in beroep.") \
        == "Volgens mr. De Vries is het besluit onwettig."
    assert first_sentence("Dr. Smith met U.S. officials on Monday. Talks went well.") \
        == "Dr. Smith met U.S. officials on Monday."
    assert title_from_sentence("Short one.") == "Short one"


@pytest.mark.parametrize("paragraph,expected", [
    ("Rusland teleurgesteld na overleg met Verenigd Koninkrijk", True),
    ("Putin: \u201cWe will act\u201d", True),
    ("Dit is een korte zin.", False),
    ("Wat wil Poetin?", False),
    ("kleine letter aan het begin", False),
    ("Een kop\nover twee regels", False),
    (" ".join(["woord"] * 30), False),
])
def test_is_headline(paragraph, expected):
    assert is_headline(paragraph) is expected


def test_a_headline_only_document_has_its_line_as_title():
    cleaned = clean_text("Kabinet gevallen")
    assert cleaned.text == "Kabinet gevallen"
    assert cleaned.title == "Kabinet gevallen" and cleaned.title_source == "first sentence"


# --------------------------------------------------------------------------
# Unicode and odd input

def test_unicode_is_nfc_and_spaces_are_collapsed():
    decomposed = "Oekrai\u0308ne  en\u00a0\u00a0de   Krim\u200b liggen\tver weg."
    cleaned = clean_text(decomposed)
    assert cleaned.text == "Oekraïne en de Krim liggen ver weg."
    assert unicodedata.is_normalized("NFC", cleaned.text)


def test_curly_quotes_and_apostrophes_are_kept():
    text = "\u201eDit is een citaat\u201d, zei ze. Het is Poetin\u2019s plan, aldus \u2018bronnen\u2019."
    assert clean_text(text).text == text


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", "\r\n", "\u00a0", "ANP", "Home",
                                  "Home\nKrant\nMedia\nPuzzels", " date 2022-02", "date 2022-02 ",
                                  "Comments (3)", "\u2022 \u2022 \u2022", "x", "?", "..."])
def test_odd_input_never_raises(text):
    cleaned = clean_text(text)
    assert isinstance(cleaned.text, str)
    assert cleaned.title is None or cleaned.title in cleaned.text


def test_only_boilerplate_leaves_an_empty_text():
    cleaned = clean_text("ANP\n\n10 februari 2022\n\nBeeld EPA\n\nHome\nKrant\nMedia\nPuzzels\nMeer")
    assert cleaned.text == "" and cleaned.title is None
    assert cleaned.date == "2022-02-10"
    assert set(reasons(cleaned)) == {"agency line", "date line", "photo credit", "navigation"}


def test_one_line_without_newlines():
    text = "De Tweede Kamer stemt dinsdag over de begroting. De uitslag is onzeker."
    cleaned = clean_text(text)
    assert cleaned.text == text
    assert cleaned.title == "De Tweede Kamer stemt dinsdag over de begroting"


def test_text_with_single_newlines_only_is_read_one_paragraph_a_line():
    text = "Buitenland\nRusland teleurgesteld na overleg\nLavrov is teleurgesteld.\nANP\nTruss is dat ook."
    cleaned = clean_text(text)
    assert cleaned.title == "Rusland teleurgesteld na overleg"
    assert paragraphs(cleaned) == ["Rusland teleurgesteld na overleg", "Lavrov is teleurgesteld.",
                                   "Truss is dat ook."]


def test_random_garbage_never_raises():
    rng = random.Random(7)
    alphabet = "aZ09 .,?!:\n\n\r\t\u00a0\u2022\u201c\u201d\u2019#@()-\u0308éÏ\U0001f1f7date2022-ANPHomeComments(1)"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        cleaned = clean_text(text)
        assert "\r" not in cleaned.text


def test_very_long_text_is_cleaned():
    """A 1.5 MB text of repeated articles (its time is guarded by test_linear_time's ratios)."""
    text = "\n\n".join(seed(p) for p in ("000", "001", "002", "003")) * 100  # ~1.5 MB
    cleaned = clean_text(text)
    # the repeats collapse to one copy of each article
    assert cleaned.text.count("Truss vindt dat Rusland") == 1
    assert cleaned.text.count("In de Minsk-akkoorden is van alles vastgelegd") == 1
