"""``tolk export --opensearch DIR``: an existing Whoosh index as files ``curl`` can load.

Why files and not a direct copy into a cluster: the operator moving an archive
into OpenSearch often runs the load elsewhere (a bastion, a CI job) and wants to
look at what goes in. Per language: an index template (settings with Tolk's
generated analysis, mappings from the declared fields) and ``_bulk`` NDJSON files
of at most ``BATCH_DOCS`` documents / ``BATCH_BYTES`` each (a cluster's
``http.max_content_length`` is 100 MB by default). Documents are read by id from
the Whoosh index (``IndexReader.list_documents``), so memory stays bounded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from index.analysis import LANGUAGES
from index.backends.opensearch import mapping
from index.fields import Fields

BATCH_DOCS = 1000
BATCH_BYTES = 20 * 1024 * 1024
PAGE = 500

README = """\
Tolk index exported for OpenSearch ({total} documents: {counts}).

Load it into a cluster (OpenSearch 2.x/3.x) from this folder:

  URL=http://localhost:9200          # the cluster; add -u USER:PASSWORD to each curl if needed

  # 1. per language an index template (settings with Tolk's analysis, mappings; a later
  #    {prefix}<language>-v2 gets them too) and the index {prefix}<language>-v1, created with
  #    the alias {prefix}<language> that Tolk reads and writes
{templates}{creates}
  # 2. the documents (each file one _bulk request; a document is searchable when it returns)
  for f in bulk-*.ndjson; do
    curl -fsS -X POST "$URL/_bulk?refresh=wait_for" -H 'Content-Type: application/x-ndjson' \\
      --data-binary "@$f" | grep -q '"errors":false' || echo "some documents of $f failed"
  done

  # 3. check the counts ({counts})
  curl -fsS "$URL/{indexes}/_count"

Then run Tolk against the cluster:

  TOLK_BACKEND=opensearch TOLK_OPENSEARCH_URL=$URL TOLK_OPENSEARCH_PREFIX={prefix} tolk serve

(keep TOLK_INDEX_DIR pointing at the exported index: its cross-link lexicon expands queries.)
index-<language>.json holds the templates' settings and mappings plus the alias.
A reindex later (new analysis): create {prefix}<language>-v2 (PUT without a body: the template
applies; no alias yet), load it (POST /_reindex, or bulk files naming that index), then move
the alias in one request:
  curl -fsS -X POST "$URL/_aliases" -H 'Content-Type: application/json' -d '{{"actions": [
    {{"remove": {{"index": "{prefix}nl-v1", "alias": "{prefix}nl"}}}},
    {{"add": {{"index": "{prefix}nl-v2", "alias": "{prefix}nl"}}}}]}}'
"""


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def export(reader, target: str | Path, fields: Fields, prefix: str = mapping.DEFAULT_PREFIX,
           batch_docs: int = BATCH_DOCS, batch_bytes: int = BATCH_BYTES) -> dict:
    """Write templates, index bodies, bulk files and README.txt into ``target``.

    ``reader``: an ``index.storage.IndexReader``. Returns documents per language and
    the files written.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("bulk-*.ndjson"):  # a previous export's files would load twice
        old.unlink()
    files, counts = [], {}
    for lang in LANGUAGES:
        name = mapping.index_name(prefix, lang)
        for kind, body in (("template", mapping.template_body(prefix, lang, fields)),
                           ("index", mapping.index_body(lang, fields, alias=name))):
            path = target / f"{kind}-{lang}.json"
            _write(path, json.dumps(body, ensure_ascii=False, indent=1))
            files.append(path.name)
        counts[lang] = 0
        part, lines, size = 0, [], 0

        def flush():
            nonlocal part, lines, size
            if lines:
                part += 1
                path = target / f"bulk-{lang}-{part:05d}.ndjson"
                _write(path, "".join(lines))
                files.append(path.name)
            lines, size = [], 0

        after = ""
        while True:
            page = reader.list_documents(after, PAGE, languages=[lang])
            if not page:
                break
            for stored in page:
                action = json.dumps({"index": {"_index": name, "_id": stored["id"]}})
                source = json.dumps(mapping.source_from_stored(stored, fields),
                                    ensure_ascii=False)
                entry = action + "\n" + source + "\n"
                if lines and (len(lines) // 2 >= batch_docs or
                              size + len(entry.encode()) > batch_bytes):
                    flush()
                lines += [action + "\n", source + "\n"]
                size += len(entry.encode())
                counts[lang] += 1
            after = page[-1]["id"]
        flush()
    indexes = ",".join(mapping.index_name(prefix, lang) for lang in LANGUAGES)
    templates = "".join(
        f"  curl -fsS -X PUT \"$URL/_index_template/{mapping.index_name(prefix, lang)}\" "
        f"-H 'Content-Type: application/json' --data-binary @template-{lang}.json\n"
        for lang in LANGUAGES)
    creates = "".join(
        f"  curl -fsS -X PUT \"$URL/{mapping.versioned_name(prefix, lang)}\" "
        f"-H 'Content-Type: application/json' --data-binary @index-{lang}.json\n"
        for lang in LANGUAGES)
    _write(target / "README.txt", README.format(
        total=sum(counts.values()), counts=", ".join(f"{k} {v}" for k, v in counts.items()),
        templates=templates, indexes=indexes, prefix=prefix, creates=creates))
    files.append("README.txt")
    return {"documents": counts, "files": files}
