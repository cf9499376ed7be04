"""Cross-language links: ONE weighted Dutch-English lexicon built at index time.

Sources, each with its own confidence (weights 0..1):

========================  ==========================================  ========
source                    what it gives                               weight
========================  ==========================================  ========
``curated``               ``index/data/curated_links.tsv``            1.0
``names``                 Babel/CLDR + pycountry place/language names  0.7-0.95
``transliteration``       corpus names with one spelling key           0.7-0.9
``dictionary``            FreeDict nld-eng + eng-nld (x0.5 when the    <= 0.8
                          aligned text contradicts a pair)
``parallel``              co-occurrence in aligned sentences (or the   <= 0.8
                          shipped ``index/data/parallel_links.tsv``)
========================  ==========================================  ========

:func:`build_lexicon` combines them (best weight, a bonus when sources
agree) into a :class:`~index.crosslink.lexicon.Lexicon` that the index
stores as JSON next to each generation. :func:`lookup` explains a word's
links for ``tolk lexicon lookup WORD``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from index.analysis import LANGUAGES, analyze
from index.crosslink import wordvec
from index.crosslink.lexicon import Lexicon, Link, other

log = logging.getLogger(__name__)

__all__ = ["Lexicon", "Link", "build_lexicon", "expand", "phrase_links", "lookup"]

DEFAULT_FREEDICT_DIR = "/usr/share/dictd"
_STATIC_PAIRS: dict[tuple, list] = {}


def build_lexicon(names: dict[str, Counter] | None = None,
                  parallel_dir: str | Path | None = None,
                  freedict_dir: str | Path | None = DEFAULT_FREEDICT_DIR,
                  exclude_parallel_lines: Iterable[int] | None = None,
                  progress: Callable[[str], None] | None = None,
                  curated_path: str | Path | None = None,
                  sources: Iterable[str] | None = None,
                  shipped_parallel: bool = True) -> Lexicon:
    """Build the lexicon from every available source.

    ``names``: capitalized tokens of the corpus per language (for the
    transliteration source). ``parallel_dir``: a folder with
    ``nld_Latn.devtest`` / ``eng_Latn.devtest`` (None: source skipped).
    ``freedict_dir``: Debian's dictd folder (None or missing files: source
    skipped with a warning). Without ``parallel_dir`` the learned links shipped
    in ``index/data/parallel_links.tsv`` stand in for it, unless
    ``shipped_parallel`` is False (the evaluation: that file was learned from
    its test articles). ``sources`` limits the build to some sources
    (for measuring what each brings). Warnings and build times are kept in
    ``lexicon.info``.
    """
    from index.crosslink import curated, dictionary, names as names_source, parallel, transliteration

    wanted = set(sources) if sources is not None else None
    lexicon = Lexicon()
    warnings: list[str] = []
    timings: dict[str, float] = {}

    def note(message: str) -> None:
        if progress is not None:
            progress(message)

    def add(source: str, pairs) -> None:
        for nl_term, en_term, weight, nl_surface, en_surface in pairs:
            lexicon.add_pair(nl_term, en_term, weight, source, nl_surface, en_surface)

    def run(source: str, make, cache_key=None, transform=None) -> None:
        if wanted is not None and source not in wanted:
            return
        started = time.perf_counter()
        note(f"lexicon: {source}")
        try:
            if cache_key is None:
                pairs = make()
            else:
                # Static sources give the same pairs for the same files: compute them once
                # per process (an API write rebuilds the lexicon with new corpus names).
                key = (source, *cache_key)
                if key not in _STATIC_PAIRS:
                    _STATIC_PAIRS[key] = list(make())
                pairs = _STATIC_PAIRS[key]
            add(source, transform(pairs) if transform is not None else pairs)
        except Exception as exc:  # one broken source must not stop the index build
            if isinstance(exc, curated.CuratedError):
                raise  # the user's own table: say what is wrong
            message = f"{source} source failed: {exc!r}; its links are left out"
            log.warning(message)
            warnings.append(message)
        timings[source] = round(time.perf_counter() - started, 3)

    run("curated", lambda: curated.curated_links(curated_path))
    run("names", lambda: names_source.name_pairs(dictionary.common_word_stems(freedict_dir)),
        (str(freedict_dir),))

    common: set[str] = set()
    if names and (wanted is None or "transliteration" in wanted):
        common = dictionary.headwords(freedict_dir)
    run("transliteration", lambda: transliteration.links_from_names(names, common))
    if names and (wanted is None or "transliteration" in wanted):
        lexicon.name_keys = transliteration.name_key_index(names, common)

    # The aligned text (parallel_dir) also checks the dictionary's senses.
    evidence = None
    excluded = frozenset(exclude_parallel_lines or ())
    if parallel_dir and (wanted is None or "dictionary" in wanted):
        key = ("evidence", str(parallel_dir), excluded)
        try:
            if key not in _STATIC_PAIRS:
                _STATIC_PAIRS[key] = parallel.Evidence(*parallel.read_parallel(parallel_dir),
                                                       exclude=excluded)
            evidence = _STATIC_PAIRS[key]
        except (OSError, ValueError) as exc:
            message = f"parallel text unreadable, dictionary not checked against it: {exc!r}"
            log.warning(message)
            warnings.append(message)
    shipped = None
    if not parallel_dir and shipped_parallel and (
            wanted is None or "dictionary" in wanted or "parallel" in wanted):
        try:
            shipped = parallel.read_shipped()
            evidence = shipped[1]
        except (OSError, ValueError) as exc:
            message = f"shipped parallel links unreadable, left out: {exc!r}"
            log.warning(message)
            warnings.append(message)
    run("dictionary", lambda: dictionary.dictionary_pairs(freedict_dir, warnings),
        (str(freedict_dir),),
        None if evidence is None else lambda pairs: parallel.discount_unattested(pairs, evidence))

    cosine_facts = None
    if wordvec.computed() and (wanted is None or "dictionary" in wanted):
        cosine_facts = _add_cosines(lexicon, freedict_dir, warnings, timings, note)
    elif wordvec.enabled() and (wanted is None or "dictionary" in wanted):
        try:  # the cosines shipped in index/data (no model needed)
            lexicon.cosines = wordvec.read_shipped()  # shared, read once per process
            cosine_facts = {"pairs": len(lexicon.cosines), "shipped": True}
        except (OSError, ValueError) as exc:
            message = f"shipped sentence-encoder cosines unreadable, left out: {exc!r}"
            log.warning(message)
            warnings.append(message)

    if parallel_dir:
        def learn():
            nl_lines, en_lines = parallel.read_parallel(parallel_dir)
            return parallel.learn_pairs(nl_lines, en_lines, exclude=exclude_parallel_lines)
        run("parallel", learn, (str(parallel_dir), excluded))
    elif shipped is not None:
        run("parallel", lambda: shipped[0])

    lexicon.info = {"built": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": timings,
                    "warnings": warnings, "pairs": len(lexicon)}
    if cosine_facts is not None:  # pairs embedded, distinct surfaces, seconds, model version
        lexicon.info["wordvec"] = cosine_facts
    note(f"lexicon: {len(lexicon)} pairs")
    return lexicon


def _add_cosines(lexicon: Lexicon, freedict_dir, warnings: list, timings: dict, note
                 ) -> dict | None:
    """The sentence encoder's cosine for every dictionary pair (``index.crosslink.wordvec``).

    Memoized per process with the dictionary's pairs (the evaluation builds a
    lexicon per fold); a missing or broken encoder leaves the cosines out with
    a warning, like any other failed source.
    """
    started = time.perf_counter()
    note("lexicon: sentence-encoder cosines")
    key = ("wordvec", str(freedict_dir), wordvec.model_version())
    try:
        if key not in _STATIC_PAIRS:
            rows = []
            for (nl_term, en_term), pair in lexicon._thaw().items():
                for source in wordvec.SOURCES & pair.surfaces.keys():
                    nl_surface, en_surface, _ = pair.surfaces[source]
                    rows.append((nl_term, en_term, nl_surface, en_surface))
            _STATIC_PAIRS[key] = wordvec.pair_cosines(rows)
        cosines, facts = _STATIC_PAIRS[key]
        lexicon.cosines = dict(cosines)
    except Exception as exc:  # the encoder is optional evidence: never stop the build
        message = f"sentence-encoder cosines failed: {exc!r}; dictionary senses not weighted by them"
        log.warning(message)
        warnings.append(message)
        facts = None
    timings["wordvec"] = round(time.perf_counter() - started, 3)
    return facts


def expand(lexicon: Lexicon, lang: str, term: str, min_weight: float = 0.0,
           limit: int | None = None) -> list[Link]:
    """Links of one index term of ``lang`` into the other language, best first."""
    return lexicon.links(lang, term, limit=limit, min_weight=min_weight)


def phrase_links(lexicon: Lexicon, lang: str, terms: list[str], max_words: int = 4
                 ) -> list[tuple[int, int, list[Link]]]:
    """Multi-word entries among consecutive query terms: ``(start, end, links)``.

    ``terms`` are the analyzed terms of consecutive query words; a name like
    ``verenigd koninkrijk`` is looked up as the joined terms. Longest first.
    """
    found = []
    for size in range(min(max_words, len(terms)), 1, -1):
        for start in range(0, len(terms) - size + 1):
            links = lexicon.links(lang, " ".join(terms[start:start + size]))
            if links:
                found.append((start, start + size, links))
    return found


def lookup(lexicon: Lexicon, word: str, limit: int | None = 20) -> list[dict]:
    """Explain what a surface word (or phrase) links to, in both directions.

    For each language the word is analyzed as a word of that language, and
    each link is reported with its weight, the source of the best weight and
    every source that gave the pair, and with the evidence that sets its
    weight for a query word of that language (``evidence``): the dictionary's
    weight and the sense's rank among the word's dictionary links, the
    parallel-text weight, the Zipf frequencies of both words and the factor
    they give, the cognate similarity, the sentence encoder's cosine and the
    factor it gives (``index.crosslink.wordvec``), and ``query_weight``, the weight a
    query uses before co-occurrence in the index (see ``index.search.senses``).
    """
    from index.crosslink import evidence as sense_evidence

    rows = []
    for lang in LANGUAGES:
        terms = analyze(lang, word)
        if not terms:
            continue
        candidates = [" ".join(terms)] if len(terms) > 1 else []
        candidates += terms
        for term in candidates:
            target = other(lang)
            links = lexicon.links(lang, term, limit=limit)
            per_source = []
            for link in links:
                nl_term, en_term = (term, link.term) if lang == LANGUAGES[0] else (link.term, term)
                per_source.append(lexicon.sources_of(nl_term, en_term))
            ranked = sorted((i for i, s in enumerate(per_source) if "dictionary" in s),
                            key=lambda i: -per_source[i]["dictionary"])
            cosines = [wordvec.cosine(lexicon, *((term, link.term) if lang == LANGUAGES[0]
                                                 else (link.term, term))) for link in links]
            known = [c for c in cosines if c is not None]
            best_cosine = max(known) if len(known) > 1 else None
            for link, sources, cos in zip(links, per_source, cosines):
                facts = sense_evidence.explain(
                    word, lang, link.surface, target, link.weight,
                    "dictionary" if set(sources or {link.source}) == {"dictionary"} else link.source,
                    [other_link.surface for other_link in links if other_link is not link],
                    link.term)
                rank = ranked.index(links.index(link)) + 1 if "dictionary" in sources else None
                cosine_factor = 1.0
                if (wordvec.enabled() and lang in wordvec.QUERY_LANGUAGES
                        and set(sources or {link.source}) <= wordvec.SOURCES):
                    cosine_factor = wordvec.factor(cos, best_cosine)
                rows.append({
                    "from": lang, "term": term, "to": target, "target": link.term,
                    "surface": link.surface, "weight": link.weight, "source": link.source,
                    "sources": sorted(sources) if sources else [link.source],
                    "stored": bool(sources),
                    "evidence": {
                        "dictionary": sources.get("dictionary"),
                        "dictionary_rank": rank,
                        "dictionary_senses": len(ranked),
                        "parallel": sources.get("parallel"),
                        "source_zipf": facts["source_zipf"],
                        "target_zipf": facts["target_zipf"],
                        "reference_zipf": facts["reference_zipf"],
                        "frequency_factor": facts["frequency_factor"],
                        "cognate": facts["cognate"],
                        "cognate_gain": facts["cognate_gain"],
                        "cosine": cos,
                        "cosine_factor": cosine_factor,
                    },
                    "query_weight": round(facts["weight"] * cosine_factor, 4),
                })
    return rows
