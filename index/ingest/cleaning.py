"""Cleaning of raw news text: drop site boilerplate, find the date and the title.

``clean_text`` is a pure function: it takes the raw text of one document and
returns a :class:`CleanedText` with the cleaned body, a title, a date and the
list of pieces it dropped, each with a reason.  It never raises on odd input.

The work is done by small named rules, applied in this order:

1. Normalize: NFC, ``\\r\\n``/``\\r`` -> ``\\n``, odd spaces (nbsp, thin
   space, tabs) -> one space, invisible characters (zero-width space, BOM,
   soft hyphen) removed.  Curly quotes and all letters are kept.
2. A ``date 2022-02`` header at the very start becomes the date.
3. A comment section (``Comments (1)``, ``Add Comment``, ``Reacties (3)``,
   ``Plaats een reactie`` ...) is cut, from its header to the end; a comment
   count before the body text (next to the headline) drops only that line.
4. Line rules (:data:`LINE_RULES`), each a predicate with a reason: empty
   lines (only nbsp/bullets), date lines, agency lines, photo credits,
   newsletter promos, error-report lines, glued tag runs.
5. Navigation: runs of navigation words (``Home``/``Krant``/``Meer`` ...) and
   a run of one-word lines at the end of the text.
6. A section label (a one-word line at the very top).
7. Paragraphs made only of earlier text (a repeated paragraph, or a later
   copy of several earlier paragraphs glued together) are kept once.
8. The title: a headline (a short first paragraph without final sentence
   punctuation, kept in the body) or else the opening of the first sentence.

Reasons in ``dropped``: "date header", "comment section", "comment link",
"empty line", "date line", "agency line", "photo credit", "newsletter promo",
"error report line", "tag run", "navigation", "section label",
"repeated paragraph".
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable

from index.normalize import normalize_text

__all__ = ["CleanedText", "Dropped", "clean_text", "parse_date_line"]

MAX_TITLE_CHARS = 90  # a title taken from the first sentence is cut at a word boundary
MAX_HEADLINE_CHARS = 160
MAX_HEADLINE_WORDS = 25
SHINGLE = 6  # words per shingle when looking for repeated text
# A comment header with fewer words of text before it is a comment count or
# link next to the headline: only that line is dropped, not the rest.
COMMENT_SECTION_MIN_WORDS_BEFORE = 30
COMMENT_LOOKAHEAD_LINES = 20  # lines read after a bare "Reacties" for a second marker


@dataclass
class Dropped:
    """A piece of the input that cleaning removed, and why."""

    reason: str
    text: str


@dataclass
class CleanedText:
    """The result of :func:`clean_text`."""

    text: str  # cleaned body, paragraphs joined by "\n\n"
    title: str | None = None
    title_source: str | None = None  # "headline" or "first sentence"
    date: str | None = None  # "YYYY-MM-DD", or "YYYY-MM" when only the month is known
    dropped: list[Dropped] = field(default_factory=list)


# --------------------------------------------------------------------------
# 1. Normalization

_ODD_SPACES_RE = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_MULTI_SPACE_RE = re.compile(r" {2,}")
# Characters that are not content when a line holds nothing else.
_BULLETS = "•·‣▪▫■□●○◦*-–—|_=~"


def normalize(text: str) -> str:
    """Unix line endings, no invisibles, NFC, one plain space for any run of spaces.

    Invisibles and NFC are :func:`index.normalize.normalize_text`, the one
    normalization that queries get too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    text = normalize_text(text)
    text = _ODD_SPACES_RE.sub(" ", text)
    return _MULTI_SPACE_RE.sub(" ", text)


# --------------------------------------------------------------------------
# 2. Dates

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Dutch
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "juni": 6, "juli": 7,
    "augustus": 8, "oktober": 10, "mrt": 3, "okt": 10,
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = (r"(?:(?:maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
            r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
            r"|ma|di|wo|do|vr|za|zo|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+)")
_DATE_PREFIX = (r"(?:(?:published|updated|last updated|posted|date|dated"
                r"|gepubliceerd|bijgewerkt|laatst bijgewerkt|laatste update|geplaatst|datum"
                r"|aangepast)(?:\s+(?:on|at|op|om))?\s*:?\s+)")
_TIME = (r"(?:\s*(?:,|\||-|–|—|·|\bom\b|\bat\b)?\s*\d{1,2}[:.h]\d{2}(?::\d{2})?"
         r"(?:\s*(?:uur|u\.?|am|pm|a\.m\.|p\.m\.))?"
         r"(?:\s*\(?(?:cet|cest|gmt|utc|bst|est|edt|pst|pdt)\)?)?)?")
_DATE_FORMS = (
    # 10 February 2022, 10 feb. 2022, 10 februari 2022
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th|e)?\s+" + _MONTH.replace("month", "m1") + r",?\s+(?P<y1>\d{4})",
    # February 10, 2022 / Feb 10th 2022
    _MONTH.replace("month", "m2") + r"\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})",
    # 2022-02-10 (ISO)
    r"(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?",
    # 10-02-2022 (Dutch day-month-year with hyphens)
    r"(?P<d4>\d{1,2})-(?P<m4>\d{1,2})-(?P<y4>\d{4})",
)
_DATE_LINE_RE = re.compile(
    r"^\(?" + _DATE_PREFIX + r"?" + _WEEKDAY + r"?(?:" + "|".join(_DATE_FORMS) + r")"
    + _TIME + r"\)?$",
    re.IGNORECASE,
)
_DATE_HEADER_RE = re.compile(
    r"^\s*(?:date|datum)\s*(?:[:=]\s*)?(?P<date>\d{4}-\d{2}(?:-\d{2})?)(?=\s|$)", re.IGNORECASE)


def _iso(year: str, month: int | str, day: str | None) -> str | None:
    """'YYYY-MM-DD' (or 'YYYY-MM' without a day) if it is a real date, else None."""
    try:
        y, m = int(year), int(month)
        if day is None:
            _dt.date(y, m, 1)
            return f"{y:04d}-{m:02d}"
        return _dt.date(y, m, int(day)).isoformat()
    except ValueError:
        return None


def parse_date_line(line: str) -> str | None:
    """The ISO date of a line that holds nothing but a date (and maybe a time).

    ``"10 February 2022 13:06"`` -> ``"2022-02-10"``; Dutch month names, ISO
    dates and ``dd-mm-yyyy`` also work.  A sentence that merely contains a
    date gives None.
    """
    line = line.strip()
    if len(line) > 80:
        return None
    match = _DATE_LINE_RE.match(line)
    if not match:
        return None
    g = match.groupdict()
    if g["y1"]:
        return _iso(g["y1"], _MONTHS[g["m1"].lower()], g["d1"])
    if g["y2"]:
        return _iso(g["y2"], _MONTHS[g["m2"].lower()], g["d2"])
    if g["y3"]:
        return _iso(g["y3"], g["m3"], g["d3"])
    return _iso(g["y4"], g["m4"], g["d4"])


def _take_date_header(text: str) -> tuple[str, str | None, str | None]:
    """Strip a ``date 2022-02`` header from the start: (rest, date, dropped text)."""
    match = _DATE_HEADER_RE.match(text)
    if not match:
        return text, None, None
    raw = match.group("date")
    year, month, *day = raw.split("-")
    date = _iso(year, month, day[0] if day else None)
    if date is None:
        return text, None, None
    return text[match.end():].lstrip(" "), date, match.group().strip()


def _better_date(current: str | None, found: str) -> str:
    """Keep the first date; let a day-precise date refine a month-only one."""
    if current is None:
        return found
    if len(current) == 7 and found.startswith(current):
        return found
    return current


# --------------------------------------------------------------------------
# 3-4. Line rules: each returns True when a whole line is boilerplate.

def _words(line: str) -> list[str]:
    return line.split()


def is_empty_line(line: str) -> bool:
    """Only spaces, nbsp or bullet characters (after normalization: not empty)."""
    return bool(line) and not line.strip(" " + _BULLETS)


def is_date_line(line: str) -> bool:
    """A line that is only a date, e.g. ``10 February 2022 13:06``."""
    return parse_date_line(line) is not None


# Acronyms must be written as agencies write them (so a line "Pa" or "tt" is
# not an agency); full names match in any case.
_AGENCIES = (
    r"(?:ANP|AP|AFP|DPA|dpa|EFE|ANSA|UPI|PA|PA Media|TASS|NTB|TT|APA|ANI|PTI"
    r"|(?i:reuters|belga|xinhua|kyodo|yonhap|anadolu|ritzau|novum|bloomberg|ria novosti"
    r"|associated press|agence france[- ]presse|press association|thomson reuters))"
)
_AGENCY_LINE_RE = re.compile(
    r"^[(\[]?(?:(?i:bron|door|source|by|via)\s*:?\s+)?[(\[]?"
    + _AGENCIES + r"(?:\s*(?:/|,|&|\+|\ben\b|\band\b)\s*" + _AGENCIES + r")*"
    r"[)\]]?$"
)


def is_agency_line(line: str) -> bool:
    """A lone news-agency credit: ``ANP``, ``Reuters``, ``ANP/AFP``, ``(Belga)``, ``Bron: AP``."""
    return len(line) <= 60 and bool(_AGENCY_LINE_RE.match(line.strip()))


_CREDIT_WORD_RE = re.compile(
    r"^(?:beelden|beeld|foto's|foto’s|fotografie|fotograaf|foto|illustratie|afbeelding"
    r"|photography|photographer|photograph|photos|photo|images|image|pictures|picture"
    r"|illustration|credits|credit)(?=[\s:|/©\-–—]|$)"
    r"(?:\s+(?:credits|credit|bron|source|by|door)\b)?\s*(?P<sep>[:|/©\-–—])?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright\b)\s*\S", re.IGNORECASE)


def is_photo_credit(line: str) -> bool:
    """``Beeld EPA``, ``Foto: ANP / Jan de Vries``, ``Photo: Getty Images``, ``(c) Reuters``.

    After the credit word there must be a separator or a capitalized name,
    so ``Beeld van de dag`` or a sentence about photos is not a credit.
    """
    line = line.strip()
    if len(line) > 100 or line.endswith((".", "!", "?")) and not line.endswith(("Inc.", "Ltd.")):
        return False
    if len(_words(line)) > 10:
        return False
    if _COPYRIGHT_RE.match(line):
        return True
    match = _CREDIT_WORD_RE.match(line)
    if not match or not match.group("rest"):
        return False
    rest = match.group("rest")
    return bool(match.group("sep")) or rest[0].isupper() or rest[0] in "©(" or rest[0].isdigit()


_PROMO_RES = (
    # "RD.nl in uw mailbox?", "Het laatste nieuws in je inbox", "... in your inbox"
    re.compile(r"\b(?:in|naar)\s+(?:uw|je|jouw|your)\s+(?:mail\s?box|inbox|e-?mail)\s*[?!.]?$",
               re.IGNORECASE),
    # "Ontvang onze wekelijkse nieuwsbrief ...", "Sign up for our newsletter", ...
    re.compile(r"^(?:ontvang|abonneer|schrijf\s+(?:u|je|jij)\s+(?:nu\s+)?in|meld\s+(?:u|je)\s+"
               r"(?:nu\s+)?aan|registreer|sign\s+up|subscribe|get|receive|join)\b"
               r".*\b(?:nieuwsbrie(?:f|ven)|newsletters?|mail\s?box|inbox)\b", re.IGNORECASE),
    # "Nieuwsbrief: ..." / "Newsletter sign-up" as a short line of its own
    re.compile(r"^(?:nieuwsbrief|newsletter)s?(?:\s*[:\-–]\s*|\s+)(?:aanmelden|inschrijven|sign[- ]up|"
               r"subscribe|signup)\b", re.IGNORECASE),
)


def is_newsletter_promo(line: str) -> bool:
    """An invitation to get a newsletter or mail (not running text mentioning one)."""
    line = line.strip()
    if len(line) > 200:
        return False
    return any(rule.search(line) for rule in _PROMO_RES)


_ERROR_REPORT_RES = (
    # "Hebt u een taalfout gezien?", "Typo spotted?", "Fout gevonden in dit artikel?"
    re.compile(r"\b(?:taalfout|spelfout|tikfout|typfout|fout|foutje|fouten|onjuistheid|typo|typos"
               r"|error|errors|mistake|mistakes|inaccuracy)\b[^.!?]{0,40}?\b(?:gezien|gevonden"
               r"|ontdekt|gespot|opgemerkt|spotted|found|noticed|seen)\b[^.!?]{0,30}\?",
               re.IGNORECASE),
    # "Zag je een fout?", "Spot an error?", "Notice a typo in this story?"
    re.compile(r"^(?:zag|zie|ziet|vond|vind|vindt|heb|hebt)\s+(?:je|u|jij)\s+een\s+\w*fout(?:je)?\b"
               r"[^.!?]{0,40}\?", re.IGNORECASE),
    re.compile(r"^(?:see|spot|spotted|notice|noticed|found|find)\s+(?:a|an)\s+(?:typo|error|mistake"
               r"|inaccuracy)\b[^.!?]{0,40}\?", re.IGNORECASE),
)
_ADDRESSES_READER_RE = re.compile(r"\b(?:u|je|jij|you|us|ons|mail|e-?mail|laat|let|meld)\b|@",
                                  re.IGNORECASE)
_MAIL_US_RE = re.compile(r"^(?:mail|e-?mail|meld\s+het|tip)\s+(?:naar|to|ons|us|de redactie)\b.*@",
                         re.IGNORECASE)


def is_error_report_line(line: str) -> bool:
    """``Hebt u een taalfout gezien? Mail naar ...``, ``Spotted a typo? Email ...``."""
    line = line.strip()
    if len(line) > 200:
        return False
    if _MAIL_US_RE.match(line):
        return True
    asks, *invitations = _ERROR_REPORT_RES
    if any(rule.search(line) for rule in invitations):
        return True
    # A question about an error in running text ("Wie heeft de fout gevonden?")
    # is not an error-report line: the reader must be addressed or told to mail.
    return bool(asks.search(line) and _ADDRESSES_READER_RE.search(line))


_GLUE_RE = re.compile(r"(?<=[a-zà-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])")
_TAGS_PREFIX_RE = re.compile(r"^(?:tags|trefwoorden|onderwerpen|topics|labels)\s*:", re.IGNORECASE)


def is_tag_run(line: str) -> bool:
    """Tags glued into one line: ``armybombingsconvoyDonetskLugansk...``.

    Counts lowercase->uppercase joins inside words, but only in words that
    hold at least two such joins (so ``YouTube``, ``iPhone`` or ``McDonald``
    do not count); three or more in a line without sentence punctuation is a
    tag run.  A line starting with ``Tags:``/``Trefwoorden:`` is one too.
    """
    line = line.strip()
    if _TAGS_PREFIX_RE.match(line) and len(line) < 400:
        return True
    if re.search(r"[.!?]", line):
        return False
    glued = 0
    for word in _words(line):
        joins = len(_GLUE_RE.findall(word))
        if joins >= 2:
            glued += joins
    return glued >= 3


# The line rules, in order; the first that matches names the reason.
LINE_RULES: list[tuple[str, Callable[[str], bool]]] = [
    ("empty line", is_empty_line),
    ("date line", is_date_line),
    ("agency line", is_agency_line),
    ("photo credit", is_photo_credit),
    ("newsletter promo", is_newsletter_promo),
    ("error report line", is_error_report_line),
    ("tag run", is_tag_run),
]


# --------------------------------------------------------------------------
# 3. Comment section

_COMMENT_STRONG_RE = re.compile(
    r"^(?:"
    r"(?:\d+\s+)?(?:comments?|reacties?|reactie's|replies)\s*[(\[]\s*\d+\s*[)\]]"  # Comments (1)
    r"|\d+\s+(?:comments?|reacties?|replies)"  # 12 reacties
    r"|(?:add|post|leave|write|show|view|load|read|see)\s+(?:a\s+|your\s+|all\s+)?(?:\d+\s+)?"
    r"(?:comments?|reply|replies)"  # Add Comment, Leave a reply
    r"|(?:plaats|schrijf|geef|lees|bekijk|toon|laad|verberg)\s+(?:een\s+|je\s+|uw\s+|alle\s+)?"
    r"(?:\d+\s+)?(?:reacties?)"  # Plaats een reactie
    r"|(?:reageer|reageren)\s+op\s+(?:dit|het)\s+(?:artikel|bericht)"
    r"|join\s+the\s+(?:discussion|conversation)"
    r")\s*:?$",
    re.IGNORECASE,
)
_COMMENT_WEAK_RE = re.compile(r"^(?:comments?|reacties?|reageer|discussion)\s*:?$", re.IGNORECASE)
_BULLET_START_RE = re.compile(r"^[•·‣▪●◦*\-–]\s*\S")


def _comment_header_at(lines: list[str], i: int) -> bool:
    """Is ``lines[i]`` the header of a reader comment section?

    A bare ``Reacties``/``Comments`` could be a subheading in the article, so
    it counts only when one of the next three lines is another comment
    marker (a strong header or a bulleted commenter name).
    """
    line = lines[i].strip()
    if _COMMENT_STRONG_RE.match(line):
        return True
    if _COMMENT_WEAK_RE.match(line):
        # The next three non-blank lines, looking at no more than a few: a weak header
        # on every line must not make this quadratic.
        # (a list slice, not islice: islice walks the list from its start, O(i) per call)
        nearby = (x.strip() for x in lines[i + 1:i + 1 + COMMENT_LOOKAHEAD_LINES])
        following = list(islice((x for x in nearby if x), 3))
        return any(_COMMENT_STRONG_RE.match(x) or _BULLET_START_RE.match(x) for x in following)
    return False


# --------------------------------------------------------------------------
# 5. Navigation

NAV_WORDS = frozenset("""
home menu zoeken search inloggen login log-in uitloggen logout registreren register
abonneren abonneer abonnement abonnementen subscribe account krant e-paper epaper digikrant
media puzzels puzzel puzzles meer more nieuws news sport sports economie economy cultuur
culture opinie opinion video video's videos podcast podcasts contact privacy cookies
voorwaarden colofon adverteren vacatures about weer weather binnenland buitenland politiek
politics world business tech wetenschap science lifestyle regio shop archief archive rss
delen share facebook twitter whatsapp linkedin instagram youtube e-mail email print printen
tips tip service help faq frontpage voorpagina overzicht sitemap
""".split()) | {"over ons", "about us", "log in", "sign in", "mijn account", "my account",
                 "terms of use", "algemene voorwaarden", "lees meer", "read more", "meer nieuws",
                 "more news", "tip de redactie", "contact us"}
_ONE_WORD_RE = re.compile(r"^[^\W\d_][\w'’&\-]{0,24}$")


def _is_nav_word(line: str) -> bool:
    return line.strip().lower() in NAV_WORDS


def _is_one_word(line: str) -> bool:
    return bool(_ONE_WORD_RE.match(line.strip()))


def _navigation_lines(lines: list[str]) -> set[int]:
    """Indexes of navigation lines among the kept (non-blank) ``lines``.

    * any run of three or more navigation words (``Home``, ``Krant``, ...);
    * at the end of the text: a run of three or more one-word lines, or of
      two or more navigation words.
    """
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate(lines + [""]):
        if i < len(lines) and _is_nav_word(line):
            run.append(i)
            continue
        if len(run) >= 3:
            found.update(run)
        run = []
    tail: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if _is_one_word(lines[i]) or _is_nav_word(lines[i]):
            tail.append(i)
        else:
            break
    all_nav = all(_is_nav_word(lines[i]) for i in tail)
    if tail and len(tail) < len(lines) and (len(tail) >= 3 or len(tail) >= 2 and all_nav):
        found.update(tail)
    return found


# --------------------------------------------------------------------------
# 7. Repeated paragraphs

_TOKEN_RE = re.compile(r"\w+")


def _tokens(paragraph: str) -> list[str]:
    return [t.casefold() for t in _TOKEN_RE.findall(paragraph)]


class _SeenText:
    """Word shingles of the text kept so far, to spot text that comes back.

    The shingles run across paragraph boundaries, so a later paragraph that
    glues several earlier paragraphs together is still fully covered.
    """

    def __init__(self) -> None:
        self.shingles: set[tuple[str, ...]] = set()
        self.paragraphs: set[tuple[str, ...]] = set()
        self.tail: list[str] = []  # last SHINGLE-1 tokens, to bridge paragraphs

    def add(self, tokens: list[str]) -> None:
        self.paragraphs.add(tuple(tokens))
        stream = self.tail + tokens
        for i in range(len(stream) - SHINGLE + 1):
            self.shingles.add(tuple(stream[i:i + SHINGLE]))
        self.tail = stream[-(SHINGLE - 1):]

    def covers(self, tokens: list[str]) -> bool:
        """True if every word of ``tokens`` lies in a shingle seen before."""
        if not tokens:
            return False
        if tuple(tokens) in self.paragraphs:
            return True
        if len(tokens) < SHINGLE:
            return False
        covered = [False] * len(tokens)
        for i in range(len(tokens) - SHINGLE + 1):
            if tuple(tokens[i:i + SHINGLE]) in self.shingles:
                for j in range(i, i + SHINGLE):
                    covered[j] = True
        return all(covered)


def _drop_repeated(paragraphs: list[tuple[int, str]],
                   dropped: list[tuple[int, Dropped]]) -> list[tuple[int, str]]:
    """Keep each paragraph once; drop later ones made only of earlier text."""
    seen = _SeenText()
    kept = []
    for position, paragraph in paragraphs:
        tokens = _tokens(paragraph)
        if seen.covers(tokens):
            dropped.append((position, Dropped("repeated paragraph", paragraph)))
            continue
        seen.add(tokens)
        kept.append((position, paragraph))
    return kept


# --------------------------------------------------------------------------
# 8. Title

_FINAL_PUNCT = ".!?:;,…"
_CLOSING = "\"'”’»)]"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr drs ir ing prof mw mevr dhr st jr sr bijv bv o.a e.g i.e vs nr no ca "
    "etc gen lt col sgt rev min dept jan feb mrt apr aug sep sept okt oct nov dec".split())
_SENTENCE_END_RE = re.compile(r"[.!?…][" + re.escape(_CLOSING) + r"]*(?=\s+[\"'“‘„«(]?[A-Z0-9À-Ý])")


def is_headline(paragraph: str) -> bool:
    """A short one-line paragraph, starting with a capital, without final punctuation."""
    if "\n" in paragraph:
        return False
    text = paragraph.strip()
    if not text or len(text) > MAX_HEADLINE_CHARS or len(_words(text)) > MAX_HEADLINE_WORDS:
        return False
    if text[0].islower():
        return False
    return text.rstrip(_CLOSING + " ")[-1:] not in _FINAL_PUNCT


def first_sentence(paragraph: str) -> str:
    """The first sentence of a paragraph (abbreviations like ``mr.`` do not end it)."""
    text = " ".join(paragraph.split())
    for match in _SENTENCE_END_RE.finditer(text):
        start = match.start()
        before = text[text.rfind(" ", 0, start) + 1:start].lower()  # the word before, not a copy of all
        if text[start] == "." and (before in _ABBREVIATIONS or len(before) == 1):
            continue
        return text[:match.end()]
    return text


def title_from_sentence(sentence: str, limit: int = MAX_TITLE_CHARS) -> str:
    """The opening of a sentence, at most ``limit`` characters, cut at a word boundary."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence[:-1] if sentence.endswith(".") and not sentence.endswith("..") else sentence
    cut = sentence[:limit + 1].rsplit(" ", 1)[0] if " " in sentence[:limit + 1] else sentence[:limit]
    return cut.rstrip(" ,;:-–—(") + "…"


def _choose_title(paragraphs: list[str]) -> tuple[str | None, str | None]:
    if not paragraphs:
        return None, None
    if len(paragraphs) > 1 and is_headline(paragraphs[0]):
        return paragraphs[0].strip(), "headline"
    title = title_from_sentence(first_sentence(paragraphs[0]))
    return (title, "first sentence") if title else (None, None)


# --------------------------------------------------------------------------
# The whole pipeline

def _blocks(text: str) -> list[list[str]]:
    """Paragraphs as lists of lines, split on blank lines.

    A text with no blank line at all is read as one paragraph a line.
    """
    lines = [line.strip(" ") for line in text.split("\n")]
    if not any(not line for line in lines):
        return [[line] for line in lines]
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def clean_text(text: str) -> CleanedText:
    """Clean the raw text of one news document.

    Returns the cleaned body (paragraphs joined by a blank line), the title
    and where it came from, the date found in the text, and every dropped
    piece with its reason, in the order they appeared.  Never raises;
    whatever is left is returned.
    """
    if not isinstance(text, str) or not text:
        return CleanedText(text="")
    # (line number, Dropped), to list the dropped pieces in document order
    dropped: list[tuple[int, Dropped]] = []
    text = normalize(text)
    text, date, header = _take_date_header(text)
    if header:
        dropped.append((-1, Dropped("date header", header)))

    # Flatten to (paragraph number, line number, line) so rules can see
    # neighbouring lines; the line number orders the dropped pieces.
    entries = [(b, n, line) for n, (b, line) in
               enumerate((b, line) for b, block in enumerate(_blocks(text)) for line in block)]
    lines = [line for _, _, line in entries]

    # 3. Comment section: from its header to the end.  Before any body text
    #    (a comment count next to the headline) only the header line goes.
    #    One pass, counting words as it goes (no re-count or list deletion per header).
    before = entries[:1]
    words_before = len(_words(lines[0])) if lines else 0
    for i in range(1, len(lines)):
        if _comment_header_at(lines, i):
            if words_before < COMMENT_SECTION_MIN_WORDS_BEFORE:
                dropped.append((entries[i][1], Dropped("comment link", lines[i])))
                continue
            dropped.append((entries[i][1], Dropped("comment section", "\n".join(lines[i:]))))
            break
        before.append(entries[i])
        if words_before < COMMENT_SECTION_MIN_WORDS_BEFORE:
            words_before += len(_words(lines[i]))
    entries = before

    # 4. Line rules.
    kept: list[tuple[int, int, str]] = []
    for block, n, line in entries:
        reason = next((name for name, rule in LINE_RULES if rule(line)), None)
        if reason is None:
            kept.append((block, n, line))
            continue
        dropped.append((n, Dropped(reason, line)))
        if reason == "date line":
            date = _better_date(date, parse_date_line(line))

    # 5. Navigation runs.
    nav = sorted(_navigation_lines([line for _, _, line in kept]))
    if nav:
        dropped.append((kept[nav[0]][1], Dropped("navigation", "\n".join(kept[i][2] for i in nav))))
        nav_set = set(nav)
        kept = [entry for i, entry in enumerate(kept) if i not in nav_set]

    # 6. Section label: a one-word line of its own at the very top.
    if len(kept) > 1 and kept[0][0] != kept[1][0] and _is_one_word(kept[0][2]) \
            and kept[0][2][0].isupper():
        dropped.append((kept[0][1], Dropped("section label", kept[0][2])))
        kept = kept[1:]

    # Rebuild paragraphs as (line number of their first line, text).
    groups: list[tuple[int, list[str]]] = []  # joined once: no repeated string concatenation
    last_block = None
    for block, n, line in kept:
        if block == last_block:
            groups[-1][1].append(line)
        else:
            groups.append((n, [line]))
        last_block = block
    paragraphs = [(n, "\n".join(group)) for n, group in groups]

    # 7. Repeated paragraphs.
    paragraphs = _drop_repeated(paragraphs, dropped)
    body = [paragraph for _, paragraph in paragraphs]

    # 8. Title.
    title, title_source = _choose_title(body)
    dropped.sort(key=lambda item: item[0])
    return CleanedText(text="\n\n".join(body), title=title, title_source=title_source,
                       date=date, dropped=[item for _, item in dropped])
