"""Interface text of the search page in Dutch and English.

The interface language is chosen per request, in this order:

1. ``?ui=nl`` or ``?ui=en`` in the URL (the language switch links use it);
   the choice is then remembered in the ``tolk_ui`` cookie;
2. the ``tolk_ui`` cookie;
3. the browser's ``Accept-Language`` header;
4. English.

This is only the language of the interface. The documents and the query
keep their own language.
"""

from __future__ import annotations

from flask import request

UI_LANGUAGES = ("nl", "en")
DEFAULT_UI = "en"
COOKIE = "tolk_ui"
COOKIE_MAX_AGE = 365 * 24 * 3600

# Every string the page shows. Placeholders use str.format names; the page
# escapes the values (Jinja autoescaping) before they are shown.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "site_tagline": "Search Dutch and English news",
        "skip_to_content": "Skip to main content",
        "ui_switch_label": "Interface language",
        "search_label": "Search the news",
        "search_hint": "Words, \"phrases\", OR, -exclude. A Dutch or English query finds both.",
        "search_button": "Search",
        "filters": "Filters and order",
        "filter_language": "Language of the articles",
        "filter_source": "Source",
        "lang_any": "Both",
        "lang_nl": "Dutch",
        "lang_en": "English",
        "filter_crosslingual": "Translation",
        "crosslingual_label": "Also find translated words (Putin ↔ Poetin)",
        "apply": "Apply",
        "filters_active": "{n} on",
        "filter_dates": "Date",
        "date_from": "From",
        "date_to": "To",
        "filter_sort": "Order",
        "sort_relevance": "Best match",
        "sort_newest": "Newest first",
        "sort_oldest": "Oldest first",
        "showing_results_for": "Showing results for",
        "search_instead_for": "Search instead for",
        "intro": "Tolk searches Dutch and English news at once: a query in either language "
                 "also finds the other through translated words and name spellings.",
        "examples": "Try for example:",
        "results_count_one": "1 result for “{q}”",
        "results_count_many": "{n} results for “{q}”",
        "results_range": "showing {first}–{last}",
        "query_language": "query read as {language}",
        "crosslingual_on": "with translations",
        "crosslingual_off": "without translations",
        "did_you_mean": "Did you mean",
        "no_results": "No results for “{q}”",
        "tips_title": "Suggestions:",
        "tip_spelling": "Check the spelling of your words.",
        "tip_other_language": "Try the word in the other language (for example troepen or troops).",
        "tip_crosslingual": "Turn on translated words",
        "tip_remove_filters": "Search articles in both languages",
        "tip_remove_dates": "Remove the date filter",
        "tip_fewer_words": "Use fewer or more general words.",
        "past_last_page": "This page is past the last result.",
        "first_page": "Go to the first page",
        "results_heading": "Results",
        "result_language": "Language",
        "result_date": "Date",
        "crosslinks_label": "Found through translation:",
        "found_as": "found as",
        "pagination": "Result pages",
        "previous": "Previous",
        "next": "Next",
        "page_n": "Page {n}",
        "current_page": "current page",
        "empty_query": "Type one or more words to search.",
        "error_title": "Your search could not be run",
        "error_syntax": "The query could not be read: {detail}.",
        "error_syntax_where": "The problem is here:",
        "error_too_long": "The query is too long: use at most {limit} characters.",
        "error_invalid": "Some search settings are not valid: {fields}.",
        "error_other": "Something is wrong with this search: {detail}",
        "error_back": "Start a new search",
        "error_page_title": "Error {status}",
        "error_page_text": "Sorry, this did not work.",
        "field_q": "the query",
        "field_lang": "the language filter",
        "field_crosslingual": "the translation switch",
        "field_page": "the page number",
        "field_offset": "the page number",
        "field_limit": "the number of results per page",
        "field_date_from": "the start date",
        "field_date_to": "the end date",
        "field_sort": "the sort order",
        "field_typo": "the spelling tolerance",
        "suggestions_label": "Suggestions",
        "suggestion_in": "in",
        "footer": "Tolk: full-text search with Dutch–English cross-links.",
        "api_link": "JSON API",
        "doc_nav": "Back to the search",
        "doc_back_results": "Back to the results",
        "doc_new_search": "Start a new search",
        "doc_not_found_title": "Article not found",
        "doc_not_found_text": "There is no article with the id “{id}”. It may have been "
                              "deleted or replaced.",
        "doc_url": "Original article",
        "doc_open_source": "Open at the source",
        "doc_matches_one": "1 match for “{q}” is marked.",
        "doc_matches": "{n} matches for “{q}” are marked.",
        "doc_no_matches": "No words of “{q}” appear in this text.",
        "doc_partly_marked": "Matches are marked in the first {n} characters only.",
        "doc_original": "Original text",
        "doc_show_text": "Show the cleaned text",
        "doc_text": "Article text",
        "hit_source_link": "source",
        "past_end_pages": "There are only {n} pages of results.",
        "past_end_one_page": "There is only 1 page of results.",
        "last_page": "Go to the last page",
        "same_story_en": "Same story in English",
        "same_story_nl": "Same story in Dutch",
    },
    "nl": {
        "site_tagline": "Zoek in Nederlands en Engels nieuws",
        "skip_to_content": "Naar de hoofdinhoud",
        "ui_switch_label": "Taal van de website",
        "search_label": "Zoek in het nieuws",
        "search_hint": "Woorden, \"zinnen\", OR, -uitsluiten. Een Nederlandse of Engelse "
                       "zoekvraag vindt beide.",
        "search_button": "Zoeken",
        "filters": "Filters en volgorde",
        "filter_language": "Taal van de artikelen",
        "filter_source": "Bron",
        "lang_any": "Beide",
        "lang_nl": "Nederlands",
        "lang_en": "Engels",
        "filter_crosslingual": "Vertaling",
        "crosslingual_label": "Ook vertaalde woorden vinden (Poetin ↔ Putin)",
        "apply": "Toepassen",
        "filters_active": "{n} actief",
        "filter_dates": "Datum",
        "date_from": "Van",
        "date_to": "Tot en met",
        "filter_sort": "Volgorde",
        "sort_relevance": "Beste match",
        "sort_newest": "Nieuwste eerst",
        "sort_oldest": "Oudste eerst",
        "showing_results_for": "Resultaten voor",
        "search_instead_for": "Zoek in plaats daarvan naar",
        "intro": "Tolk zoekt tegelijk in Nederlands en Engels nieuws: een zoekvraag in de ene "
                 "taal vindt via vertaalde woorden en schrijfwijzen van namen ook de andere.",
        "examples": "Probeer bijvoorbeeld:",
        "results_count_one": "1 resultaat voor ‘{q}’",
        "results_count_many": "{n} resultaten voor ‘{q}’",
        "results_range": "{first}–{last} getoond",
        "query_language": "zoekvraag gelezen als {language}",
        "crosslingual_on": "met vertalingen",
        "crosslingual_off": "zonder vertalingen",
        "did_you_mean": "Bedoelde u",
        "no_results": "Geen resultaten voor ‘{q}’",
        "tips_title": "Suggesties:",
        "tip_spelling": "Controleer de spelling van uw woorden.",
        "tip_other_language": "Probeer het woord in de andere taal "
                              "(bijvoorbeeld troepen of troops).",
        "tip_crosslingual": "Zet vertaalde woorden aan",
        "tip_remove_filters": "Zoek in artikelen in beide talen",
        "tip_remove_dates": "Verwijder het datumfilter",
        "tip_fewer_words": "Gebruik minder of algemenere woorden.",
        "past_last_page": "Deze pagina ligt voorbij het laatste resultaat.",
        "first_page": "Naar de eerste pagina",
        "results_heading": "Resultaten",
        "result_language": "Taal",
        "result_date": "Datum",
        "crosslinks_label": "Gevonden via vertaling:",
        "found_as": "gevonden als",
        "pagination": "Pagina's met resultaten",
        "previous": "Vorige",
        "next": "Volgende",
        "page_n": "Pagina {n}",
        "current_page": "huidige pagina",
        "empty_query": "Typ een of meer woorden om te zoeken.",
        "error_title": "Uw zoekopdracht kon niet worden uitgevoerd",
        "error_syntax": "De zoekvraag kon niet worden gelezen: {detail}.",
        "error_syntax_where": "Het probleem zit hier:",
        "error_too_long": "De zoekvraag is te lang: gebruik hoogstens {limit} tekens.",
        "error_invalid": "Sommige zoekinstellingen zijn ongeldig: {fields}.",
        "error_other": "Er klopt iets niet aan deze zoekopdracht: {detail}",
        "error_back": "Begin een nieuwe zoekopdracht",
        "error_page_title": "Fout {status}",
        "error_page_text": "Sorry, dit is niet gelukt.",
        "field_q": "de zoekvraag",
        "field_lang": "het taalfilter",
        "field_crosslingual": "de vertaalschakelaar",
        "field_page": "het paginanummer",
        "field_offset": "het paginanummer",
        "field_limit": "het aantal resultaten per pagina",
        "field_date_from": "de begindatum",
        "field_date_to": "de einddatum",
        "field_sort": "de sortering",
        "field_typo": "de spellingtolerantie",
        "suggestions_label": "Suggesties",
        "suggestion_in": "in",
        "footer": "Tolk: zoeken in volledige tekst met Nederlands–Engelse koppelingen.",
        "api_link": "JSON-API",
        "doc_nav": "Terug naar de zoekopdracht",
        "doc_back_results": "Terug naar de resultaten",
        "doc_new_search": "Begin een nieuwe zoekopdracht",
        "doc_not_found_title": "Artikel niet gevonden",
        "doc_not_found_text": "Er is geen artikel met id ‘{id}’. Misschien is het verwijderd "
                              "of vervangen.",
        "doc_url": "Oorspronkelijk artikel",
        "doc_open_source": "Openen bij de bron",
        "doc_matches_one": "1 treffer voor ‘{q}’ is gemarkeerd.",
        "doc_matches": "{n} treffers voor ‘{q}’ zijn gemarkeerd.",
        "doc_no_matches": "Geen woorden van ‘{q}’ in deze tekst.",
        "doc_partly_marked": "Alleen in de eerste {n} tekens zijn treffers gemarkeerd.",
        "doc_original": "Oorspronkelijke tekst",
        "doc_show_text": "Toon de opgeschoonde tekst",
        "doc_text": "Tekst van het artikel",
        "hit_source_link": "bron",
        "past_end_pages": "Er zijn maar {n} pagina's met resultaten.",
        "past_end_one_page": "Er is maar 1 pagina met resultaten.",
        "last_page": "Naar de laatste pagina",
        "same_story_en": "Zelfde verhaal in het Engels",
        "same_story_nl": "Zelfde verhaal in het Nederlands",
    },
}

# The name of a document or query language, in each interface language.
LANGUAGE_NAMES = {
    "en": {"nl": "Dutch", "en": "English"},
    "nl": {"nl": "Nederlands", "en": "Engels"},
}


def ui_choice_from_args() -> str | None:
    """The interface language asked for with ``?ui=``, if it is a known one."""
    value = request.args.get("ui", "").strip().lower()
    return value if value in UI_LANGUAGES else None


def ui_language() -> str:
    """The interface language of the current request."""
    chosen = ui_choice_from_args()
    if chosen:
        return chosen
    cookie = request.cookies.get(COOKIE, "")
    if cookie in UI_LANGUAGES:
        return cookie
    best = request.accept_languages.best_match(list(UI_LANGUAGES))
    return best or DEFAULT_UI


class Translator:
    """``t("key", name=value)``: the string in one interface language, formatted."""

    def __init__(self, language: str):
        self.language = language if language in STRINGS else DEFAULT_UI
        self.strings = STRINGS[self.language]

    def __call__(self, key: str, **values) -> str:
        text = self.strings.get(key) or STRINGS[DEFAULT_UI].get(key) or key
        return text.format(**values) if values else text

    def language_name(self, code: str) -> str:
        return LANGUAGE_NAMES[self.language].get(code, code)

    def count(self, n: int, q: str) -> str:
        key = "results_count_one" if n == 1 else "results_count_many"
        return self(key, n=self.number(n), q=q)

    def number(self, n: int) -> str:
        from babel.numbers import format_decimal

        return format_decimal(n, locale=self.language)

    def date(self, value: str | None) -> str:
        """``2022-02-10`` -> "10 February 2022"; ``2022-02`` -> "February 2022";
        ``2022-02-24T05:30:00+02:00`` -> "24 February 2022 05:30 UTC+02:00" (nl order)."""
        if not value:
            return ""
        from datetime import date

        from babel.dates import format_date

        try:
            if "T" in value:  # a timestamp: the day and time as given, with its offset
                from datetime import datetime

                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                text = format_date(moment.date(), format="long", locale=self.language)
                offset = moment.strftime("%z")
                zone = "" if not offset else " UTC" if offset == "+0000" else \
                    f" UTC{offset[:3]}:{offset[3:]}"
                return f"{text} {moment:%H:%M}{zone}"
            parts = [int(p) for p in value.split("-")]
            if len(parts) == 3:
                return format_date(date(*parts), format="long", locale=self.language)
            if len(parts) == 2:
                return format_date(date(parts[0], parts[1], 1), format="LLLL y",
                                   locale=self.language)
        except (ValueError, TypeError):
            pass
        return value
