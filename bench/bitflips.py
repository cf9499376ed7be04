"""What a flipped bit in a segment does, and who finds it: the server or ``tolk check``.

Copies an index ``--runs`` times; in each copy flips one random bit of the Dutch
segment the way a disk would (size and mtime unchanged), then counts: the server
noticed at open (health degraded), ``tolk check`` found it, a probe search answered
5xx, a probe search returned other hits than on the intact index.

    .venv/bin/tolk index --index-dir /tmp/flip-src seeds/
    .venv/bin/python bench/bitflips.py /tmp/flip-src --runs 60
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.storage.health import check_generation  # noqa: E402
from service import create_app  # noqa: E402

QUERIES = ["Poetin", "Oekraine troepen", "NAVO", "Russia", "Kiev", "parlement"]


def hits(client) -> dict:
    out = {}
    for q in QUERIES:
        response = client.get("/api/search", query_string={"q": q})
        out[q] = response.get_json()["hits"] if response.status_code < 500 else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("tolk").setLevel(logging.CRITICAL)  # the 500s are counted, not logged
    rng = random.Random(args.seed)
    intact = hits(create_app({"INDEX_DIR": str(args.index_dir)}).test_client())
    found = {"at open": 0, "by tolk check": 0, "search 5xx": 0, "other hits": 0}
    with tempfile.TemporaryDirectory(prefix="tolk-bitflips-") as tmp:
        for run in range(args.runs):
            copy = Path(tmp) / str(run)
            shutil.copytree(args.index_dir, copy, symlinks=True)
            generation = (copy / "current").resolve()
            segment = next((generation / "nl").glob("*.seg"))
            st = segment.stat()
            data = bytearray(segment.read_bytes())
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            segment.write_bytes(bytes(data))
            os.utime(segment, ns=(st.st_atime_ns, st.st_mtime_ns))
            client = create_app({"INDEX_DIR": str(copy)}).test_client()
            health = client.get("/api/health").get_json()
            found["at open"] += health.get("status") != "ok"
            found["by tolk check"] += bool(check_generation(generation)["problems"])
            got = hits(client)
            found["search 5xx"] += any(v is None for v in got.values())
            found["other hits"] += any(v is not None and v != intact[q] for q, v in got.items())
            shutil.rmtree(copy)
    print(f"{args.runs} single-bit flips in a segment: "
          + ", ".join(f"{k} {v}" for k, v in found.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
