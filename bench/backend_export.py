"""What the OpenSearch backend costs on Tolk's side: the export, and the query building.

1. ``tolk export --opensearch`` of an index of the FLORES devtest sentences (1012 Dutch +
   1012 English documents, or the seeds without the data): seconds, documents a second,
   bytes of ``_bulk`` NDJSON a document.
2. Building the structured query and its OpenSearch DSL (the work the stateless API tier
   does per search) against a whole Whoosh search of the same query on the same index:
   medians over the seed queries, and their ratio (both measured in this run).

    .venv/bin/python bench/backend_export.py [--data /work/shared/data/flores200_devtest_nl_en]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.backends.opensearch import query as dsl  # noqa: E402
from index.backends.opensearch.export import export  # noqa: E402
from index.backends.structured import build_query  # noqa: E402
from index.fields import active  # noqa: E402
from index.search import SearchRequest, search  # noqa: E402
from index.storage import IndexReader  # noqa: E402
from service.cli import main as tolk  # noqa: E402
from service.lexicon import load_lexicon  # noqa: E402


def corpus(data: Path | None, folder: Path) -> Path:
    if data is None or not data.exists():
        return ROOT / "seeds"
    out = folder / "flores.jsonl"
    with out.open("w") as f:
        for lang, name in (("nl", "nld_Latn.devtest"), ("en", "eng_Latn.devtest")):
            for i, line in enumerate((data / name).read_text().splitlines()):
                f.write(json.dumps({"id": f"{lang}-{i:04d}", "language": lang,
                                    "text": line}) + "\n")
    return out


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path,
                        default=Path("/work/shared/data/flores200_devtest_nl_en"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = corpus(args.data, tmp)
        assert tolk(["index", "--quiet", "--index-dir", str(tmp / "index"), str(source)]) == 0
        reader = IndexReader(tmp / "index")
        reader.set_lexicon_loader(load_lexicon)
        started = time.perf_counter()
        result = export(reader, tmp / "export", active())
        seconds = time.perf_counter() - started
        docs = sum(result["documents"].values())
        bulk = sum(p.stat().st_size for p in (tmp / "export").glob("bulk-*.ndjson"))
        print(f"corpus: {source.name}, {docs} documents {result['documents']}")
        print(f"export: {seconds:.2f} s, {docs / seconds:.0f} documents/s, "
              f"{bulk / docs:.0f} bytes of _bulk NDJSON a document, "
              f"{len(result['files'])} files")

        lexicon = reader.lexicon()
        queries = [line.split("\t")[0] for line in
                   (ROOT / "index" / "data" / "seed_queries.tsv").read_text().splitlines()
                   if line and not line.startswith("#")]
        build, whole = [], []
        for q in queries:
            request = SearchRequest(q=q)
            build.append(median_ms(lambda: dsl.search_body(build_query(request, lexicon)), 21))
            whole.append(median_ms(lambda: search(reader, request, lexicon=lexicon), 5))
        b, w = statistics.median(build), statistics.median(whole)
        print(f"per query over {len(queries)} seed queries (medians): structured query + DSL "
              f"{b:.3f} ms; whole Whoosh search {w:.2f} ms; ratio {b / w:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
