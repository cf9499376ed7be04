"""The ``tolk`` command: index, reindex, serve, search, eval, lexicon."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from index.ingest.documents import DocumentError, Skipped, prepare, read_paths
from index.storage import (IndexReader, StoreError, current_generation, rebuild, reindex,
                           update)

from .settings import load_settings
from .lexicon import lexicon_builder, load_lexicon


ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FLORES = ROOT.parent / "shared" / "data" / "flores200_devtest_nl_en"
DEFAULT_SEEDS = ROOT / "seeds"


def _fail(message: str, code: int = 2) -> int:
    print(f"tolk: {message}", file=sys.stderr)
    return code


def prepare_documents(paths, progress: bool = True):
    """Read and clean documents; returns (documents, skipped)."""
    docs, skipped = [], []
    items = read_paths(paths)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(desc="cleaning", unit="doc", file=sys.stderr, leave=False)
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        try:
            docs.append(prepare(item))
        except DocumentError as exc:
            skipped.append(Skipped(item.origin, exc.message, item.id))
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return docs, skipped


def _stored_total(index_dir) -> int:
    """Documents in the current index (0 if none or unreadable): a progress bar's total."""
    from index.storage.carryover import stored_counts

    generation = current_generation(Path(index_dir))
    try:
        return sum(stored_counts(generation).values()) if generation else 0
    except Exception:  # noqa: BLE001 - only a progress estimate; the write says what is wrong
        return 0


def _progress_bar(args, total: int | None, desc: str = "indexing"):
    if args.quiet:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="doc", file=sys.stderr)


def cmd_index(args, settings) -> int:
    if args.drop_missing and not args.rebuild:
        return _fail("--drop-missing removes the documents not in PATHS and works only with "
                     "--rebuild: tolk index --rebuild --drop-missing PATHS")
    for path in args.paths:
        if not Path(path).exists():
            return _fail(f"{path}: no such file or folder; give .txt/.jsonl files or folders")
    docs, skipped = prepare_documents(args.paths, progress=not args.quiet)
    if not docs and not skipped:
        return _fail("no .txt or .jsonl files found in " + ", ".join(args.paths))
    builder = lexicon_builder({**settings, "INDEX_DIR": args.index_dir})
    total = len(docs)
    if args.rebuild and not args.drop_missing and not args.quiet:
        total += _stored_total(args.index_dir)  # an estimate: ids in both count twice
    bar = _progress_bar(args, total)
    try:
        if args.rebuild:
            report = rebuild(args.index_dir, docs, lexicon_builder=builder,
                             progress=(lambda doc: bar.update()) if bar else None,
                             lock_timeout=args.lock_timeout, drop_missing=args.drop_missing)
        else:
            report = update(args.index_dir, docs, lexicon_builder=builder,
                            progress=(lambda doc: bar.update()) if bar else None,
                            lock_timeout=args.lock_timeout)
    except StoreError as exc:
        return _fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    mode = "update"
    if args.rebuild:
        mode = "rebuild, drop missing" if args.drop_missing else "rebuild"
    _print_summary(args, report, mode, skipped, from_paths=len(docs))
    return 0 if docs or not skipped else 1


def _print_summary(args, report, mode: str, skipped=(), from_paths: int = 0) -> None:
    summary = {
        "index_dir": str(args.index_dir),
        "mode": mode,
        "indexed": dict(report.added),
        "from_paths": from_paths,
        "carried_over": report.carried_over,
        "dropped": report.dropped,
        "kept_as_stored": [{"id": i, "reason": r} for i, r in report.kept_as_stored],
        "skipped": [{"origin": s.origin, "id": s.doc_id, "reason": s.reason} for s in skipped],
        "lexicon_pairs": report.lexicon_pairs,
        "seconds": round(report.seconds, 2),
        "docs_per_second": round(sum(report.added.values()) / report.seconds, 1)
        if report.seconds else None,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    per_lang = ", ".join(f"{lang}: {n}" for lang, n in sorted(report.added.items())) or "none"
    print(f"Indexed {sum(report.added.values())} documents ({per_lang}) into "
          f"{args.index_dir} in {report.seconds:.1f} s ({mode}).")
    if mode == "reindex":
        print(f"Prepared and indexed again: {report.carried_over} stored documents.")
    elif mode.startswith("rebuild"):
        print(f"From the given files: {from_paths}; carried over from the index: "
              f"{report.carried_over}.")
        if report.dropped is None:
            print("Dropped: the documents not in PATHS (the old index could not be read to "
                  "count them).")
        elif report.dropped or args.drop_missing:
            print(f"Dropped {report.dropped} documents not in PATHS (--drop-missing).")
    if report.kept_as_stored:
        print(f"Kept as stored (could not be prepared again) {len(report.kept_as_stored)}:")
        for doc_id, reason in report.kept_as_stored:
            print(f"  {doc_id}: {reason}")
    if report.lexicon_pairs:
        pairs = ", ".join(f"{k}: {v}" for k, v in sorted(report.lexicon_pairs.items()))
        print(f"Cross-link lexicon: {pairs}.")
    if skipped:
        print(f"Skipped {len(skipped)}:")
        for s in skipped:
            print(f"  {s.origin}: {s.reason}")


def cmd_reindex(args, settings) -> int:
    args.drop_missing = False
    if current_generation(Path(args.index_dir)) is None:
        return _fail(f"no index in {args.index_dir} to reindex; build one with "
                     f"`tolk index --index-dir {args.index_dir} PATH`")
    bar = _progress_bar(args, _stored_total(args.index_dir), desc="reindexing")
    try:
        builder = lexicon_builder({**settings, "INDEX_DIR": args.index_dir})
        report = reindex(args.index_dir, lexicon_builder=builder,
                         progress=(lambda doc: bar.update()) if bar else None,
                         lock_timeout=args.lock_timeout)
    except StoreError as exc:
        return _fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    _print_summary(args, report, "reindex")
    return 0


def cmd_search(args, settings) -> int:
    # Imported here: `tolk index` does not need the search code (a quarter second to load).
    from index.search import SearchRequest, search
    from index.search.query import QuerySyntaxError

    reader = IndexReader(args.index_dir)
    reader.set_lexicon_loader(load_lexicon)
    request = SearchRequest(q=args.query, lang=args.lang, limit=args.limit,
                            crosslingual=not args.monolingual)
    try:
        result = search(reader, request)
    except QuerySyntaxError as exc:
        return _fail(f"query syntax: {exc}")
    except StoreError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    facets = ", ".join(f"{k}: {v}" for k, v in result["facets"]["language"].items())
    print(f"{result['total']} hits for {args.query!r} (query language "
          f"{result['query_language']}; {facets}) in {result['took_ms']} ms")
    for rank, hit in enumerate(result["hits"], 1):
        links = ", ".join(f"{c['query']} <- {c['matched']} ({c['source']})"
                          for c in hit["crosslinks"])
        print(f"{rank:2}. [{hit['language']}] {hit['id']}  {hit['score']:.3f}  {hit['title']}")
        print(f"    {hit['snippet'].replace('<mark>', '[').replace('</mark>', ']')}")
        if links:
            print(f"    cross-links: {links}")
    return 0


def _flores_dir(args, settings) -> Path | None:
    for candidate in (args.flores, settings.get("PARALLEL_DIR"), DEFAULT_FLORES):
        if candidate and (Path(candidate) / "metadata_devtest.tsv").exists():
            return Path(candidate)
    return None


def cmd_eval(args, settings) -> int:
    from index.crosslink import build_lexicon
    from index.evaluation import run_flores, run_seeds

    report = {}
    if not args.skip_seeds:
        with tempfile.TemporaryDirectory(prefix="tolk-seeds-") as tmp:
            docs, _ = prepare_documents([args.seeds], progress=False)
            rebuild(tmp, docs, lexicon_builder=lexicon_builder({**settings, "INDEX_DIR": tmp}))
            reader = IndexReader(tmp)
            reader.set_lexicon_loader(load_lexicon)
            report["seeds"] = {"cross-linked": run_seeds(reader, True),
                               "monolingual": run_seeds(reader, False)}
            reader.close()
        for kind, run in report["seeds"].items():
            print(f"seeds {kind}: nDCG@5 {run['ndcg@5']:.3f} "
                  + " ".join(f"{k} {v:.3f}" for k, v in run["by_kind"].items()))
    if not args.skip_flores:
        flores = _flores_dir(args, settings)
        if flores is None:
            return _fail("FLORES data not found; pass --flores DIR (a folder with "
                         "nld_Latn.devtest, eng_Latn.devtest, metadata_devtest.tsv)")
        freedict = settings.get("FREEDICT_DIR") or None

        def factory(names, exclude):
            return build_lexicon(names=names, parallel_dir=flores, freedict_dir=freedict,
                                 exclude_parallel_lines=exclude)

        report["flores"] = run_flores(flores, factory, folds=args.folds,
                                      progress=lambda msg: print(msg, file=sys.stderr))
        for name, run in report["flores"].items():
            extra = (f"  ({run['mrr_vs_monolingual']:.0%} of monolingual)"
                     if "mrr_vs_monolingual" in run else "")
            print(f"flores {name:22} MRR {run['mrr']:.3f}  R@10 {run['recall@10']:.3f}"
                  f"  {run['ms_per_query']} ms/query{extra}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    if args.benchmarks:
        _write_eval_section(Path(args.benchmarks), report)
    return 0


def _write_eval_section(path: Path, report: dict) -> None:
    import platform
    from datetime import datetime, timezone

    from index.evaluation import markdown_report, replace_marked_section

    command = "tolk " + " ".join(sys.argv[1:]) if sys.argv[1:] else "tolk eval"
    header = [f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
              f"- Command: `{command}` (also `make eval`)",
              f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}"]
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_marked_section(text, markdown_report(report, header)), "utf-8")
    print(f"wrote the evaluation section of {path}")


def cmd_lexicon(args, settings) -> int:
    from index.crosslink import lookup

    reader = IndexReader(args.index_dir)
    reader.set_lexicon_loader(load_lexicon)
    try:
        lexicon = reader.lexicon()
    except StoreError as exc:
        return _fail(str(exc))
    if lexicon is None:
        return _fail(f"the index in {args.index_dir} has no lexicon; rebuild it with "
                     f"`tolk index --rebuild --index-dir {args.index_dir} PATH`")
    if args.action == "stats":
        stats = lexicon.stats()
        if args.json:
            print(json.dumps({"pairs": len(lexicon), "per_source": stats}, indent=2))
        else:
            print(f"{len(lexicon)} pairs")
            for source, count in sorted(stats.items(), key=lambda kv: -kv[1]):
                print(f"  {source:16} {count}")
        return 0
    rows = lookup(lexicon, " ".join(args.word))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"no cross-links for {' '.join(args.word)!r}")
    for row in ([] if args.json else rows):
        sources = ", ".join(row["sources"])
        print(f"{row['from']} {row['term']!r} -> {row['to']} {row['target']!r} "
              f"({row['surface']}) weight {row['weight']:.2f} from {sources}")
    return 0


def cmd_serve(args, settings) -> int:
    index_dir = Path(args.index_dir)
    if not (index_dir / "current").exists():
        return _fail(f"no index in {index_dir}; build one first: tolk index --index-dir "
                     f"{index_dir} seeds/")
    os.environ["TOLK_INDEX_DIR"] = str(index_dir)
    # A write may wait LOCK_TIMEOUT for another writer and then rebuild the lexicon:
    # the worker timeout must be longer than that.
    timeout = int(settings["LOCK_TIMEOUT"]) + 60
    # gunicorn's default request line limit (4094) is below a TOLK_MAX_QUERY_CHARS query in
    # percent-encoded UTF-8; past it gunicorn answers its own non-JSON 400.
    argv = ["gunicorn", "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
            "--timeout", str(timeout), "--limit-request-line", "8190",
            "--access-logfile", "-", "service:create_app()"]
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", *argv[1:]])
    return 0  # not reached


def build_parser(settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tolk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", default=settings["INDEX_DIR"],
                        help="index directory (env TOLK_INDEX_DIR; default %(default)s)")

    p = sub.add_parser("index", parents=[common], help="index .txt/.jsonl files and folders")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--rebuild", action="store_true",
                   help="build a new generation from PATHS and every stored document (prepared "
                        "again from its original; PATHS win by id), then switch atomically")
    p.add_argument("--drop-missing", action="store_true",
                   help="with --rebuild: documents not in PATHS are removed (the count is "
                        "reported)")
    p.add_argument("--lock-timeout", type=float, default=settings["LOCK_TIMEOUT"],
                   help="seconds to wait for another writer (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("reindex", parents=[common],
                       help="prepare and analyze every stored document again (after an "
                            "analyzer, cleaning or lexicon change) into a new generation")
    p.add_argument("--lock-timeout", type=float, default=settings["LOCK_TIMEOUT"],
                   help="seconds to wait for another writer (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("search", parents=[common], help="search from the command line")
    p.add_argument("query")
    p.add_argument("--lang", choices=["nl", "en", "any"], default="any")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--monolingual", action="store_true", help="no cross-language links")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("eval", help="measure retrieval quality (FLORES, graded seed queries)")
    p.add_argument("--flores", help="FLORES folder (default: TOLK_PARALLEL_DIR or ../shared/data)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seeds", default=str(DEFAULT_SEEDS), help="seed folder for graded queries")
    p.add_argument("--skip-seeds", action="store_true")
    p.add_argument("--skip-flores", action="store_true")
    p.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    p.add_argument("--benchmarks", metavar="FILE",
                   help="also write the results as the evaluation section of FILE "
                        "(BENCHMARKS.md), replacing the previous one")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("lexicon", help="inspect the cross-link lexicon")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("lookup", parents=[common], help="what a word links to, and why")
    q.add_argument("word", nargs="+", help="the word (or words) to look up")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_lexicon)
    q = actions.add_parser("stats", parents=[common], help="pairs per source")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_lexicon)

    p = sub.add_parser("serve", parents=[common], help="serve the API and page with gunicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv=None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `tolk search ... | head` ends quietly
    settings = load_settings()
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
