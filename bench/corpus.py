"""Deterministic bilingual benchmark corpus from real sentences.

Every document is built from FLORES-200 devtest sentences of its language
(read in place from the shared data folder, never copied) plus a long tail of
words from Debian's word lists (``wdutch`` -> /usr/share/dict/dutch,
``wamerican`` -> /usr/share/dict/american-english):

* document ``i`` is Dutch when ``i`` is even, English when it is odd;
* its body is FLORES sentences of that language, drawn at random until it
  has about ``WORDS_PER_DOC`` words, in 3-5 paragraphs;
* about ``TAIL_RATE`` of the words are replaced by word-list words drawn
  from a Zipf distribution over a seeded shuffle of the list (a realistic,
  growing vocabulary: Heaps' law instead of FLORES' ~10k words);
* each document has 3 "topic" words (also Zipf over the word list) that
  recur a few times, so terms repeat within a document (tf > 1) as in news;
* title: the first 6-10 words of another sentence, plus one topic word.

Each document has its own RNG, seeded by (seed, i): the corpus of N
documents is the prefix of every larger one, and ``make_doc(i)`` can
re-create any document (and where its sentences came from) without reading
the JSONL. The JSONL records are Tolk's input format (id, title, text,
language, date, url, source).

    .venv/bin/python bench/corpus.py --size 10000        # writes bench/out/corpus-10000-s42.jsonl
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
FLORES_DIR = Path(os.environ.get(
    "TOLK_BENCH_FLORES", BENCH_DIR.parent.parent / "shared" / "data" / "flores200_devtest_nl_en"))
WORDLISTS = {"nl": Path("/usr/share/dict/dutch"), "en": Path("/usr/share/dict/american-english")}
FLORES_FILES = {"nl": "nld_Latn.devtest", "en": "eng_Latn.devtest"}
LANGS = ("nl", "en")

VERSION = 1  # bump when generation changes: old cached files are then ignored
DEFAULT_SEED = 42
WORDS_PER_DOC = 300
TAIL_RATE = 0.08
ZIPF_S = 1.07
TOPIC_WORDS = 3
SOURCES = ("Bench Dagblad", "Bench Courant", "Bench Times", "Bench Herald", "Bench Wire")
START_DATE = date(2020, 1, 1)

_WORD_RE = re.compile(r"^[a-zà-öø-ÿ]{3,}$")
_SPLIT_RE = re.compile(r"(\s+)")
_ALPHA_RE = re.compile(r"^[^\W\d_]+$")


@dataclass
class Sources:
    sentences: dict  # lang -> list[str]
    tail: dict  # lang -> list[str] (seeded shuffle of the word list)
    cum: dict  # lang -> cumulative Zipf weights over tail


@dataclass
class Plan:
    """How a document was made: used by the query generator."""

    index: int
    language: str
    sentence_ids: list = field(default_factory=list)  # FLORES line numbers, in body order
    paragraphs: list = field(default_factory=list)  # list of lists of (sentence id, text)


def check_inputs() -> list[str]:
    """What is missing to build the corpus (empty list: all there)."""
    missing = []
    for lang in LANGS:
        if not (FLORES_DIR / FLORES_FILES[lang]).is_file():
            missing.append(f"{FLORES_DIR / FLORES_FILES[lang]} (FLORES-200 devtest; set "
                           "TOLK_BENCH_FLORES to its folder)")
        if not WORDLISTS[lang].is_file():
            pkg = "wdutch" if lang == "nl" else "wamerican"
            missing.append(f"{WORDLISTS[lang]} (apt-get install {pkg})")
    return missing


@lru_cache(maxsize=4)
def load_sources(seed: int = DEFAULT_SEED) -> Sources:
    missing = check_inputs()
    if missing:
        raise SystemExit("bench/corpus.py: missing inputs:\n  " + "\n  ".join(missing))
    sentences, tail, cum = {}, {}, {}
    for lang in LANGS:
        lines = (FLORES_DIR / FLORES_FILES[lang]).read_text("utf-8").splitlines()
        sentences[lang] = [line.strip() for line in lines if line.strip()]
        words = sorted({w.strip() for w in WORDLISTS[lang].read_text("utf-8").splitlines()
                        if _WORD_RE.match(w.strip())})
        random.Random(f"{seed}-tail-{lang}").shuffle(words)
        tail[lang] = words
        acc, total = [], 0.0
        for rank in range(len(words)):
            total += 1.0 / (rank + 1) ** ZIPF_S
            acc.append(total)
        cum[lang] = acc
    return Sources(sentences, tail, cum)


def _zipf_word(rng: random.Random, src: Sources, lang: str) -> str:
    cum = src.cum[lang]
    return src.tail[lang][bisect.bisect_left(cum, rng.random() * cum[-1])]


def _mutate(rng: random.Random, src: Sources, lang: str, sentence: str, topics: list) -> str:
    parts = _SPLIT_RE.split(sentence)
    for k in range(0, len(parts), 2):  # even indexes are words, odd are whitespace
        word = parts[k]
        if not word or not _ALPHA_RE.match(word):
            continue
        r = rng.random()
        if r < TAIL_RATE:
            parts[k] = _zipf_word(rng, src, lang)
        elif r < TAIL_RATE + 0.012:
            parts[k] = rng.choice(topics)
    return "".join(parts)


def make_doc(i: int, seed: int = DEFAULT_SEED) -> tuple[dict, Plan]:
    """Document ``i`` (a Tolk JSONL record) and how it was made."""
    src = load_sources(seed)
    lang = LANGS[i % 2]
    rng = random.Random(f"{seed}-doc-{i}")
    sents = src.sentences[lang]
    topics = [_zipf_word(rng, src, lang) for _ in range(TOPIC_WORDS)]
    plan = Plan(i, lang)
    body_sents, words = [], 0
    while words < WORDS_PER_DOC:
        sid = rng.randrange(len(sents))
        text = _mutate(rng, src, lang, sents[sid], topics)
        body_sents.append((sid, text))
        plan.sentence_ids.append(sid)
        words += len(text.split())
    n_par = rng.randint(3, 5)
    cuts = sorted(rng.sample(range(1, len(body_sents)), min(n_par - 1, len(body_sents) - 1)))
    paragraphs = [body_sents[a:b] for a, b in zip([0, *cuts], [*cuts, len(body_sents)])]
    plan.paragraphs = paragraphs
    title_words = sents[rng.randrange(len(sents))].split()[: rng.randint(6, 10)]
    title = " ".join(title_words).rstrip(",.;:") + " " + topics[0]
    day = START_DATE + timedelta(days=rng.randrange(5 * 365))
    doc_id = f"{lang}-{i:07d}"
    record = {
        "id": doc_id,
        "title": title[:1].upper() + title[1:],
        "text": "\n\n".join(" ".join(t for _, t in par) for par in paragraphs),
        "language": lang,
        "date": day.isoformat(),
        "url": f"https://bench.example/{lang}/{i}",
        "source": SOURCES[i % len(SOURCES)],
    }
    return record, plan


def corpus_path(size: int, seed: int = DEFAULT_SEED) -> Path:
    return OUT_DIR / f"corpus-{size}-s{seed}.jsonl"


def _fingerprint(seed: int) -> str:
    """Changes when the generator or its inputs change, so a stale cache is rebuilt."""
    h = hashlib.sha256(f"v{VERSION}-{seed}-{WORDS_PER_DOC}-{TAIL_RATE}-{ZIPF_S}".encode())
    for lang in LANGS:
        for path in (FLORES_DIR / FLORES_FILES[lang], WORDLISTS[lang]):
            st = path.stat()
            h.update(f"{path}:{st.st_size}".encode())
    return h.hexdigest()[:16]


def ensure_corpus(size: int, seed: int = DEFAULT_SEED, log=print) -> Path:
    """Write (or reuse the cached) JSONL corpus of ``size`` documents; return its path."""
    path = corpus_path(size, seed)
    meta = path.with_suffix(".meta.json")
    fp = _fingerprint(seed)
    if path.exists() and meta.exists():
        try:
            if json.loads(meta.read_text())["fingerprint"] == fp:
                return path
        except (ValueError, KeyError):
            pass
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    tmp = path.with_suffix(".tmp")
    words = 0
    step = max(size // 10, 1)
    with open(tmp, "w", encoding="utf-8") as fh:
        for i in range(size):
            record, _ = make_doc(i, seed)
            words += len(record["text"].split())
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            if (i + 1) % step == 0 and size >= 10_000:
                log(f"  corpus {size}: {i + 1}/{size} docs ({time.monotonic() - started:.0f} s)")
    os.replace(tmp, path)
    meta.write_text(json.dumps({"fingerprint": fp, "size": size, "seed": seed,
                                "words": words, "bytes": path.stat().st_size,
                                "seconds": round(time.monotonic() - started, 1)}))
    return path


def corpus_stats(size: int, seed: int = DEFAULT_SEED) -> dict:
    meta = corpus_path(size, seed).with_suffix(".meta.json")
    return json.loads(meta.read_text())


def read_corpus(path: Path, limit: int | None = None):
    """Yield the JSONL records of a corpus file."""
    with open(path, encoding="utf-8") as fh:
        for line in itertools.islice(fh, limit):
            yield json.loads(line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--sample", type=int, default=0, help="print N documents and exit")
    args = ap.parse_args(argv)
    if args.sample:
        for i in range(args.sample):
            print(json.dumps(make_doc(i, args.seed)[0], ensure_ascii=False, indent=1))
        return 0
    path = ensure_corpus(args.size, args.seed, log=lambda m: print(m, file=sys.stderr))
    print(path, corpus_stats(args.size, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
