"""A fixed, deterministic query set drawn from the benchmark corpus.

Queries are engine-neutral specs; each engine turns them into its own syntax
(``bench/engines.py``). Every monolingual query is taken from a real
document (sampled uniformly from the first N documents), so it has at least
one hit. Classes:

* ``one``    one word: 2/3 any content word of a document (so frequency-
             weighted: mostly FLORES vocabulary, df in the hundreds or
             thousands), 1/3 a long-tail word (from the word lists: rarer).
* ``and``    two words of one document, both required.
* ``or``     three words, from two documents, any of them (Tolk's default
             for juxtaposed words is the same ranked OR).
* ``phrase`` two adjacent content words of one sentence, as a phrase.
* ``xling``  cross-lingual: one content word of the *aligned* FLORES sentence
             in the other language, which does not occur in the target
             document; searched with results restricted to the target
             language (half nl->en, half en->nl).

Content word: letters only, at least 3 characters, lowercased, not in
Whoosh's Dutch or English stop lists (Tolk, tantivy and FTS5 here all use
those lists, so no engine drops a query word another keeps).
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache

from corpus import DEFAULT_SEED, LANGS, OUT_DIR, load_sources, make_doc

CLASSES = ("one", "and", "or", "phrase", "xling")
_TOKEN_RE = re.compile(r"\S+")
_ALPHA_RE = re.compile(r"^[^\W\d_]{3,}$")
_EDGE = "\"'()[]{}.,;:!?\u201c\u201d\u2018\u2019"


@lru_cache(maxsize=1)
def _stops() -> frozenset:
    from whoosh.lang.stopwords import stoplists

    from whoosh.analysis import STOP_WORDS

    return frozenset(stoplists["nl"]) | frozenset(stoplists["en"]) | frozenset(STOP_WORDS)


@lru_cache(maxsize=4)
def _flores_vocab(seed: int) -> dict:
    src = load_sources(seed)
    return {lang: {w.lower() for s in src.sentences[lang] for w in _TOKEN_RE.findall(s)}
            for lang in LANGS}


def _content(word: str) -> str | None:
    w = word.strip(_EDGE).lower()
    if _ALPHA_RE.match(w) and w not in _stops():
        return w
    return None


def _words(text: str) -> list[str]:
    return [w for w in (_content(t) for t in _TOKEN_RE.findall(text)) if w]


def _adjacent_pairs(sentence: str) -> list[tuple[str, str]]:
    """Pairs of content words next to each other, with nothing but one space between."""
    raw = sentence.split(" ")
    pairs = []
    for a, b in zip(raw, raw[1:]):
        if not a or not b:
            continue
        ca, cb = _content(a), _content(b)
        # a must not end in punctuation, b must not start with it
        if ca and cb and a.lower() == ca and b.lower().rstrip(_EDGE) == cb:
            pairs.append((ca, cb))
    return pairs


def _sentences(plan) -> list[tuple[int, str]]:
    return [pair for par in plan.paragraphs for pair in par]


def generate(size: int, per_class: int, seed: int = DEFAULT_SEED) -> list[dict]:
    """``per_class`` queries of each class, drawn from documents 0..size-1."""
    rng = random.Random(f"{seed}-queries-{size}-{per_class}")
    vocab = _flores_vocab(seed)
    src = load_sources(seed)
    queries: list[dict] = []

    def doc(i):
        record, plan = make_doc(i, seed)
        return record, plan

    def add(cls, lang, target, words, origin):
        queries.append({"id": f"{cls}-{sum(q['cls'] == cls for q in queries):03d}",
                        "cls": cls, "lang": lang, "target": target, "words": words,
                        "origin": origin})

    n = 0
    while sum(q["cls"] == "one" for q in queries) < per_class:
        record, _ = doc(rng.randrange(size))
        words = _words(record["title"] + " " + record["text"])
        if n % 3 == 2:
            words = [w for w in words if w not in vocab[record["language"]]]
        n += 1
        if words:
            add("one", record["language"], record["language"], [rng.choice(words)],
                record["id"])
    while sum(q["cls"] == "and" for q in queries) < per_class:
        record, _ = doc(rng.randrange(size))
        words = sorted(set(_words(record["text"])))
        if len(words) >= 2:
            add("and", record["language"], record["language"], rng.sample(words, 2),
                record["id"])
    while sum(q["cls"] == "or" for q in queries) < per_class:
        i = rng.randrange(size)
        j = (i + 2 * rng.randrange(1, 50)) % size  # same language: same parity
        (r1, _), (r2, _) = doc(i), doc(j)
        w1, w2 = sorted(set(_words(r1["text"]))), sorted(set(_words(r2["text"])))
        if len(w1) >= 2 and w2:
            picked = rng.sample(w1, 2) + [rng.choice(w2)]
            if len(set(picked)) == 3:
                add("or", r1["language"], r1["language"], picked, f"{r1['id']},{r2['id']}")
    while sum(q["cls"] == "phrase" for q in queries) < per_class:
        record, plan = doc(rng.randrange(size))
        pairs = [p for _, s in _sentences(plan) for p in _adjacent_pairs(s)]
        if pairs:
            add("phrase", record["language"], record["language"], list(rng.choice(pairs)),
                record["id"])
    while sum(q["cls"] == "xling" for q in queries) < per_class:
        record, plan = doc(rng.randrange(size))
        target = record["language"]
        source = "en" if target == "nl" else "nl"
        present = set(_words(record["title"] + " " + record["text"]))
        sid, _ = rng.choice(_sentences(plan))
        candidates = [w for w in _words(src.sentences[source][sid]) if w not in present]
        if candidates:
            add("xling", source, target, [rng.choice(candidates)], record["id"])
    return queries


def ensure_queries(size: int, per_class: int, seed: int = DEFAULT_SEED) -> list[dict]:
    path = OUT_DIR / f"queries-{size}-q{per_class}-s{seed}.json"
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    queries = generate(size, per_class, seed)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(queries, ensure_ascii=False, indent=0), "utf-8")
    return queries


def queries_path(size: int, per_class: int, seed: int = DEFAULT_SEED):
    ensure_queries(size, per_class, seed)
    return OUT_DIR / f"queries-{size}-q{per_class}-s{seed}.json"


if __name__ == "__main__":
    import sys

    qs = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, 5)
    for q in qs:
        print(q)
