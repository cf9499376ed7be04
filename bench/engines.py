"""The engines under test, behind one small interface.

Every engine keeps one index per language (like Tolk) and stores id, title,
body, date, url and source. A query spec from ``bench/queries.py`` becomes
the engine's own query syntax; ``query`` returns ``(total, top10_ids)``:
each engine counts all matching documents exactly (Tolk reports ``total``)
and fetches the stored fields of the top 10 (Tolk also builds snippets,
which the peers do not: that is part of what is measured).

Engines:

* ``tolk``          Tolk's ``index.storage.rebuild`` / ``index.search.pipeline.search``,
                     as a user gets it: ``lang=any`` (``lang=<target>`` for
                     cross-lingual queries) and ``crosslingual=True``.
* ``tolk-mono``     the same index searched comparably to the peers:
                     ``lang=<query language>``, ``crosslingual=False``.
* ``whoosh-default`` Whoosh as its docs show it: ``StemmingAnalyzer`` (English
                     Porter stemmer and stop list, for both languages),
                     ``ix.writer()`` with defaults, ``MultifieldParser``.
* ``tantivy``       tantivy-py: simple tokenizer, lowercase, ASCII folding,
                     Whoosh's stop lists, Snowball stemmer per language; one
                     indexing thread (the others index on one core too).
* ``fts5``          SQLite FTS5 over text pre-stemmed in Python with
                     PyStemmer (same Snowball algorithms as Tolk), bm25().
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import unicodedata
from pathlib import Path

LANGS = ("nl", "en")
TITLE_BOOST = 1.5
TOP = 10


def _words_query(spec: dict, quote=lambda w: w) -> str:
    words = [quote(w) for w in spec["words"]]
    cls = spec["cls"]
    if cls == "and":
        return " AND ".join(words)
    if cls == "or":
        return " OR ".join(words)
    if cls == "phrase":
        return '"' + " ".join(spec["words"]) + '"'
    return " ".join(words)


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


# --------------------------------------------------------------------------- Tolk


class Tolk:
    name = "tolk"
    modes = ("tolk", "tolk-mono")

    def __init__(self):
        import tolk_compat

        self.missing = tolk_compat.ensure_importable()
        self.reader = None

    @staticmethod
    def lexicon_builder():
        try:
            from service.lexicon import lexicon_builder
            from service.settings import load_settings

            import index.crosslink as crosslink

            if not hasattr(crosslink, "build_lexicon"):
                return None, "index.crosslink.build_lexicon not in this checkout"
            return lexicon_builder(load_settings()), "FreeDict (service settings)"
        except ImportError as exc:
            return None, f"unavailable ({exc})"

    def build(self, records, path: Path, progress) -> dict:
        from index.ingest.documents import Document
        from index.storage import rebuild

        docs = [Document(id=r["id"], language=r["language"], language_confidence=1.0,
                         title=r["title"], text=r["text"], original=r["text"], date=r["date"],
                         url=r["url"], source=r["source"],
                         decisions=[f"language {r['language']} (given)"]) for r in records]
        builder, lexicon_note = self.lexicon_builder()
        report = rebuild(path, docs, lexicon_builder=builder, progress=lambda d: progress(1))
        return {"docs": len(docs), "lexicon": lexicon_note,
                "lexicon_pairs": getattr(report, "lexicon_pairs", None)}

    def open(self, path: Path):
        from index.storage import IndexReader

        self.reader = IndexReader(path)
        try:
            from service.lexicon import load_lexicon

            self.reader.set_lexicon_loader(load_lexicon)
        except ImportError:
            pass
        try:  # measure every query cold: the warm-up queries would be result-cache hits
            from index.search.resultcache import configure

            configure(self.reader, 0)
        except ImportError:
            pass

    def query(self, spec: dict, mode: str = "tolk"):
        from index.search import SearchRequest, search

        text = _words_query(spec)
        if mode == "tolk":
            lang = spec["target"] if spec["cls"] == "xling" else "any"
            request = SearchRequest(q=text, lang=lang, limit=TOP, crosslingual=True)
        else:
            request = SearchRequest(q=text, lang=spec["target"], limit=TOP, crosslingual=False)
        result = search(self.reader, request)
        return result["total"], [h["id"] for h in result["hits"]]

    def close(self):
        if self.reader is not None:
            self.reader.close()


# --------------------------------------------------------------------------- Whoosh


class WhooshDefault:
    name = "whoosh-default"
    modes = ("whoosh-default",)

    def _schema(self):
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.fields import ID, STORED, TEXT, Schema

        return Schema(id=ID(stored=True, unique=True),
                      title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                      body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                      date=ID(stored=True), url=STORED, source=ID(stored=True))

    def build(self, records, path: Path, progress) -> dict:
        from whoosh import index

        writers = {}
        for lang in LANGS:
            (path / lang).mkdir(parents=True, exist_ok=True)
            writers[lang] = index.create_in(str(path / lang), self._schema()).writer()
        n = 0
        for r in records:
            writers[r["language"]].add_document(id=r["id"], title=r["title"], body=r["text"],
                                                date=r["date"], url=r["url"], source=r["source"])
            n += 1
            progress(1)
        for w in writers.values():
            w.commit()
        return {"docs": n}

    def open(self, path: Path):
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = {lang: index.open_dir(str(path / lang)) for lang in LANGS}
        self.searchers = {lang: ix.searcher() for lang, ix in self.ix.items()}
        self.parsers = {lang: MultifieldParser(["title", "body"], ix.schema,
                                               fieldboosts={"title": TITLE_BOOST})
                        for lang, ix in self.ix.items()}

    def query(self, spec: dict, mode=None):
        lang = spec["target"]
        q = self.parsers[lang].parse(_words_query(spec))
        results = self.searchers[lang].search(q, limit=TOP)
        return len(results), [hit["id"] for hit in results]

    def close(self):
        for s in self.searchers.values():
            s.close()


# --------------------------------------------------------------------------- tantivy

TANTIVY_STEMMERS = {"nl": "dutch", "en": "english"}


def _stoplist(lang: str) -> list[str]:
    from whoosh.lang.stopwords import stoplists

    return sorted(stoplists[lang])


class Tantivy:
    name = "tantivy"
    modes = ("tantivy",)
    heap = 256_000_000
    threads = 1

    def _analyzer(self, lang):
        import tantivy as tv

        return (tv.TextAnalyzerBuilder(tv.Tokenizer.simple())
                .filter(tv.Filter.remove_long(40))
                .filter(tv.Filter.lowercase())
                .filter(tv.Filter.ascii_fold())
                .filter(tv.Filter.custom_stopword(_stoplist(lang)))
                .filter(tv.Filter.stemmer(TANTIVY_STEMMERS[lang]))
                .build())

    def _index(self, path: Path, lang: str):
        import tantivy as tv

        sb = tv.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", stored=True, tokenizer_name=f"{lang}_stem")
        sb.add_text_field("body", stored=True, tokenizer_name=f"{lang}_stem")
        sb.add_text_field("date", stored=True, tokenizer_name="raw")
        sb.add_text_field("url", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("source", stored=True, tokenizer_name="raw")
        (path / lang).mkdir(parents=True, exist_ok=True)
        ix = tv.Index(sb.build(), path=str(path / lang))
        ix.register_tokenizer(f"{lang}_stem", self._analyzer(lang))
        return ix

    def build(self, records, path: Path, progress) -> dict:
        import tantivy as tv

        indexes = {lang: self._index(path, lang) for lang in LANGS}
        writers = {lang: ix.writer(heap_size=self.heap, num_threads=self.threads)
                   for lang, ix in indexes.items()}
        n = 0
        for r in records:
            writers[r["language"]].add_document(tv.Document(
                id=r["id"], title=r["title"], body=r["text"], date=r["date"], url=r["url"],
                source=r["source"]))
            n += 1
            progress(1)
        for w in writers.values():
            w.commit()
            w.wait_merging_threads()
        return {"docs": n, "threads": self.threads}

    def open(self, path: Path):
        self.ix = {lang: self._index(path, lang) for lang in LANGS}
        for ix in self.ix.values():
            ix.reload()
        self.searchers = {lang: ix.searcher() for lang, ix in self.ix.items()}

    def query(self, spec: dict, mode=None):
        lang = spec["target"]
        q = self.ix[lang].parse_query(_words_query(spec), ["title", "body"],
                                      field_boosts={"title": TITLE_BOOST})
        searcher = self.searchers[lang]
        result = searcher.search(q, TOP, count=True)
        ids = [searcher.doc(addr)["id"][0] for _, addr in result.hits]
        return result.count, ids

    def close(self):
        pass


# --------------------------------------------------------------------------- SQLite FTS5

_FTS_TOKEN_RE = re.compile(r"[a-z0-9]+")
FTS5_STEMMERS = {"nl": "dutch", "en": "english"}  # PyStemmer names; the ones Tolk uses


class PreStemmer:
    """Lowercase, fold accents, split on non-alphanumerics, drop stopwords, Snowball-stem."""

    def __init__(self):
        import Stemmer
        from whoosh.lang.stopwords import stoplists

        self.stemmers = {lang: Stemmer.Stemmer(FTS5_STEMMERS[lang]) for lang in LANGS}
        self.stops = {lang: frozenset(stoplists[lang]) for lang in LANGS}

    def terms(self, lang: str, text: str) -> list[str]:
        text = text.lower()
        if not text.isascii():
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        stops = self.stops[lang]
        return self.stemmers[lang].stemWords(
            [t for t in _FTS_TOKEN_RE.findall(text) if t not in stops])

    def __call__(self, lang: str, text: str) -> str:
        return " ".join(self.terms(lang, text))


class FTS5:
    name = "fts5"
    modes = ("fts5",)

    def build(self, records, path: Path, progress) -> dict:
        stem = PreStemmer()
        path.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path / "fts.db"))
        for lang in LANGS:
            db.execute(f"CREATE VIRTUAL TABLE docs_{lang} USING fts5(title, body, id UNINDEXED, "
                       "otitle UNINDEXED, obody UNINDEXED, date UNINDEXED, url UNINDEXED, "
                       "source UNINDEXED, tokenize='ascii')")
        batch = {lang: [] for lang in LANGS}
        n = 0

        def flush(lang):
            db.executemany(f"INSERT INTO docs_{lang} VALUES (?,?,?,?,?,?,?,?)", batch[lang])
            batch[lang].clear()

        with db:
            for r in records:
                lang = r["language"]
                batch[lang].append((stem(lang, r["title"]), stem(lang, r["text"]), r["id"],
                                    r["title"], r["text"], r["date"], r["url"], r["source"]))
                if len(batch[lang]) >= 500:
                    flush(lang)
                n += 1
                progress(1)
            for lang in LANGS:
                flush(lang)
        with db:
            for lang in LANGS:
                db.execute(f"INSERT INTO docs_{lang}(docs_{lang}) VALUES('optimize')")
        db.close()
        return {"docs": n}

    def open(self, path: Path):
        self.stem = PreStemmer()
        self.db = sqlite3.connect(str(path / "fts.db"), check_same_thread=False)

    def match(self, spec: dict) -> str | None:
        lang = spec["target"]
        if spec["cls"] == "phrase":
            terms = self.stem.terms(lang, " ".join(spec["words"]))
            return '"' + " ".join(terms) + '"' if terms else None
        groups = [self.stem.terms(lang, w) for w in spec["words"]]
        parts = ['"' + " ".join(g) + '"' for g in groups if g]
        if not parts:
            return None
        return (" OR " if spec["cls"] == "or" else " AND ").join(parts)

    def query(self, spec: dict, mode=None):
        lang = spec["target"]
        match = self.match(spec)
        if match is None:
            return 0, []
        table = f"docs_{lang}"
        rows = self.db.execute(
            f"SELECT id, otitle FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY bm25({table}, {TITLE_BOOST}, 1.0) LIMIT {TOP}", (match,)).fetchall()
        total = self.db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                                (match,)).fetchone()[0]
        return total, [row[0] for row in rows]

    def close(self):
        self.db.close()


ENGINES = {"whoosh-default": WhooshDefault, "tantivy": Tantivy, "fts5": FTS5, "tolk": Tolk}


def make(name: str):
    return ENGINES[name]()


def reset_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


__all__ = ["ENGINES", "make", "reset_dir", "dir_size", "json", "os"]
