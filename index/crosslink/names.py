"""Place, country and language names in Dutch and English from Babel and pycountry.

Both packages carry their data, so this works offline:

* Babel (CLDR): territory names (countries and regions: ``Oost-Europa`` /
  ``Eastern Europe``), language names (``Oekraïens`` / ``Ukrainian``) and the
  exemplar cities of the time zones (``Moskou`` / ``Moscow``).
* pycountry's Dutch gettext catalogues: older Dutch country names that CLDR
  dropped (``Wit-Rusland`` where CLDR now says ``Belarus``) and subdivisions
  (``Kiev (stad)`` / ``Kyiv``). pycountry's English names are formal
  (``Russian Federation``), so the English side of a country is always
  Babel's common name (``Russia``); pycountry only adds Dutch spellings.

Multi-word names are stored with their analyzed words joined by one space
(``verenigd koninkrijk`` -> ``unit kingdom``). Pairs whose two terms are
equal are left out: the search already looks a word up as it is in both
indexes.
"""

from __future__ import annotations

import gettext
import logging
import re

from index.analysis import analyze, fold

log = logging.getLogger(__name__)

SOURCE = "names"
WEIGHT = 0.95  # CLDR
WEIGHT_PYCOUNTRY = 0.9  # Dutch names from pycountry, English from CLDR
WEIGHT_SUBDIVISION = 0.7  # pycountry subdivisions: the "English" side is a local romanization
MAX_WORDS = 4
CLASH_FACTOR = 0.4  # the name's term is also an ordinary word's stem

_PAREN_RE = re.compile(r"\s*\([^)]*\)")


def _term(lang: str, name: str) -> str | None:
    name = _PAREN_RE.sub("", name).strip()
    if not name or "," in name:
        return None
    terms = analyze(lang, name)
    if not terms or len(terms) > MAX_WORDS:
        return None
    return " ".join(terms)


def _surface(name: str) -> str:
    return _PAREN_RE.sub("", name).strip()


def _city(zone: str, locale) -> str | None:
    from babel.dates import get_timezone_location

    try:
        city = get_timezone_location(zone, locale=locale, return_city=True)
    except Exception:  # unknown or unloadable zone (Etc/Unknown)
        return None
    return city.rsplit("/", 1)[-1] if city else None


def babel_pairs() -> list[tuple[str, str, float]]:
    """``(nl_name, en_name, weight)`` from CLDR: territories, languages, cities."""
    try:
        import babel.core
        from babel import Locale
    except ImportError:  # pragma: no cover - babel is a dependency
        log.warning("names source: babel is not installed; CLDR names are left out")
        return []
    nl, en = Locale("nl"), Locale("en")
    pairs = []
    for table_nl, table_en in ((nl.territories, en.territories), (nl.languages, en.languages)):
        for code, nl_name in table_nl.items():
            en_name = table_en.get(code)
            if en_name:
                pairs.append((nl_name, en_name, WEIGHT))
    for zone in babel.core.get_global("zone_territories"):
        nl_city, en_city = _city(zone, nl), _city(zone, en)
        if nl_city and en_city:
            pairs.append((nl_city, en_city, WEIGHT))
    return pairs


def pycountry_pairs() -> list[tuple[str, str, float]]:
    """``(nl_name, en_name, weight)``: pycountry's Dutch country and subdivision names."""
    try:
        import pycountry
        from babel import Locale
    except ImportError:  # pragma: no cover
        log.warning("names source: pycountry is not installed; its names are left out")
        return []
    english = Locale("en").territories
    pairs = []
    try:
        countries = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    except OSError:
        log.warning("names source: pycountry has no Dutch iso3166-1 catalogue")
        countries = None
    if countries is not None:
        for country in pycountry.countries:
            en_name = english.get(country.alpha_2) or getattr(country, "common_name", None)
            if not en_name:
                continue
            for field in ("name", "common_name"):
                value = getattr(country, field, None)
                if value:
                    nl_name = countries.gettext(value)
                    if nl_name != value or field == "common_name":
                        pairs.append((nl_name, en_name, WEIGHT_PYCOUNTRY))
    try:
        subdivisions = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["nl"])
    except OSError:
        subdivisions = None
    if subdivisions is not None:
        for sub in pycountry.subdivisions:
            nl_name = subdivisions.gettext(sub.name)
            if nl_name != sub.name and sub.name.isascii() and len(sub.name.split()) <= 3:
                pairs.append((nl_name, sub.name, WEIGHT_SUBDIVISION))
    return pairs


def _clashes(lang: str, term: str, name: str,
             common: dict[str, dict[str, set[str]]] | None) -> bool:
    """True if a one-word name's term is also the stem of a different ordinary word."""
    if not common or " " in term:
        return False
    name = fold(_surface(name)).replace("-", "")
    # Inflected forms of the name itself (Nederlands / Nederland) are no clash.
    return any(not (word.startswith(name) or name.startswith(word))
               for word in common.get(lang, {}).get(term, ()))


def name_pairs(common_stems: dict[str, dict[str, set[str]]] | None = None
               ) -> list[tuple[str, str, float, str, str]]:
    """All name pairs as ``(nl_term, en_term, weight, nl_surface, en_surface)``.

    ``common_stems`` (per language ``stem -> ordinary word``, see
    :func:`index.crosslink.dictionary.common_word_stems`) lowers the weight
    of a name whose term an ordinary word shares: Dutch ``Spanje`` and
    ``spanning`` both stem to ``span``, so ``span -> spain`` must not be a
    strong link for a query about tensions.
    """
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    for nl_name, en_name, weight in babel_pairs() + pycountry_pairs():
        nl_term, en_term = _term("nl", nl_name), _term("en", en_name)
        if not nl_term or not en_term or nl_term == en_term:
            continue
        if _clashes("nl", nl_term, nl_name, common_stems) or \
                _clashes("en", en_term, en_name, common_stems):
            weight = round(weight * CLASH_FACTOR, 4)
        key = (nl_term, en_term)
        if weight > best.get(key, (0.0,))[0]:
            best[key] = (weight, _surface(nl_name), _surface(en_name))
    return [(nl, en, w, nl_s, en_s) for (nl, en), (w, nl_s, en_s) in best.items()]
