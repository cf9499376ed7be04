"""The lexicon's corpus part (updated per write) and static part (cached per source version).

Issue 11: every write that brought one new name rebuilt and fsynced the whole
~3 MB lexicon under the write lock (2-4 s). Now a write touches only the keys of
its names, the static part is never rewritten by a write, and the result equals
a full build.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from index.analysis import LANGUAGES
from index.crosslink import corpus_part, static_cache
from index.crosslink.builder import IncrementalBuilder
from index.crosslink.lexicon import Lexicon
from index.ingest.documents import Document
from index.storage import IndexReader, LEXICON_FILE, rebuild, update
from index.storage.generations import LEXICON_CORPUS_FILE, current_generation
from service.lexicon import load_lexicon

COMMON = {"bank", "huis"}

BATCHES = [
    {"nl": Counter({"Poetin": 3, "Zelenski": 1, "Kiev": 2}), "en": Counter({"Putin": 2})},
    {"nl": Counter({"Loegansk": 1}), "en": Counter({"Luhansk": 2, "Lugansk": 1,
                                                    "Zelensky": 1})},
    {"nl": Counter({"Poetin": 1, "Koeleba": 1}), "en": Counter({"Kuleba": 1, "Zelenskyy": 2,
                                                                "Zelenskiy": 1})},
    {"nl": Counter({"Chroesjtsjov": 1, "Huis": 1}), "en": Counter({"Khrushchev": 1})},
]


def _normal(part: dict) -> tuple:
    pairs = sorted(tuple(p) for rows in part["pairs"].values() for p in rows)
    keys = {lang: {k: sorted(map(tuple, v)) for k, v in part["name_keys"].get(lang, {}).items()
                   if v} for lang in LANGUAGES}
    return pairs, keys


def test_updating_key_by_key_equals_a_full_build(tmp_path):
    names = {lang: Counter() for lang in LANGUAGES}
    part = corpus_part.empty_part()
    groups = corpus_part.NameGroups()
    for batch in BATCHES:
        for lang in LANGUAGES:
            names[lang].update(batch.get(lang, {}))
        groups.sync(names)
        part = corpus_part.updated_part(part, names, batch, COMMON, groups)
        assert _normal(part) == _normal(corpus_part.full_part(names, COMMON))
    pairs = {(p[0], p[1]) for rows in part["pairs"].values() for p in rows}
    assert ("poetin", "putin") in pairs and ("koeleba", "kuleba") in pairs


def test_a_key_with_too_many_spellings_loses_its_links_as_in_a_full_build():
    many = Counter({f"Pu{'u' * i}tin": 1 for i in range(8)})  # all on the key of Putin
    names = {"nl": Counter({"Poetin": 1}), "en": Counter({"Putin": 1})}
    groups = corpus_part.NameGroups()
    groups.sync(names)
    part = corpus_part.updated_part(corpus_part.empty_part(), names, names, set(), groups)
    assert part["pairs"]
    names["en"].update(many)
    groups.sync(names)
    part = corpus_part.updated_part(part, names, {"en": many}, set(), groups)
    assert _normal(part) == _normal(corpus_part.full_part(names, set()))


def test_overlay_equals_adding_the_pairs_to_the_lexicon():
    base = Lexicon()
    base.add_pair("troep", "troop", 0.6, "dictionary")
    base.add_pair("poetin", "putin", 0.5, "dictionary", "Poetin", "Putin")
    base.add_pair("kiev", "kyiv", 1.0, "curated", "Kiev", "Kyiv")
    extra = [("poetin", "putin", 0.9, "transliteration", "Poetin", "Putin"),
             ("koeleba", "kuleba", 0.9, "transliteration", "Koeleba", "Kuleba"),
             ("kiev", "kiyv", 0.7, "transliteration", "Kiev", "Kiyv")]
    whole = Lexicon()
    whole.add_pair("troep", "troop", 0.6, "dictionary")
    whole.add_pair("kiev", "kyiv", 1.0, "curated", "Kiev", "Kyiv")
    whole.add_pair("poetin", "putin", 0.5, "dictionary", "Poetin", "Putin")
    for nl, en, w, src, nl_s, en_s in extra:
        whole.add_pair(nl, en, w, src, nl_s, en_s)
    loaded = Lexicon.from_json(json.loads(json.dumps(base.to_json())))
    merged = loaded.overlay(extra, {"nl": {"kulba": [["koeleba", "Koeleba"]]}})
    for lang, term in [("nl", "poetin"), ("en", "putin"), ("nl", "kiev"), ("en", "kuleba"),
                       ("nl", "troep")]:
        assert merged.links(lang, term) == whole.links(lang, term), term
    assert merged.stats() == whole.stats()
    assert merged.name_keys["nl"]["kulba"] == [["koeleba", "Koeleba"]]
    assert len(loaded) == 3 and loaded.links("en", "kuleba") == []  # the base is unchanged
    saved = Lexicon.from_json(json.loads(json.dumps(merged.to_json())))  # rows best first
    assert saved.links("nl", "kiev") == whole.links("nl", "kiev")


def _doc(doc_id: str, lang: str, text: str) -> Document:
    return Document(id=doc_id, language=lang, language_confidence=1.0, title="", text=text,
                    original=text)


def test_a_write_with_a_new_name_leaves_the_static_part_alone_and_readers_see_it(tmp_path):
    builder = IncrementalBuilder(freedict_dir=None, cache_dir=tmp_path / "cache")
    root = tmp_path / "index"
    rebuild(root, [_doc("nl-1", "nl", "Gisteren sprak president Poetin met de pers."),
                   _doc("en-1", "en", "Yesterday minister Kuleba spoke to the press.")],
               lexicon_builder=builder)
    generation = current_generation(root)
    static = (generation / LEXICON_FILE).stat()
    reader = IndexReader(root)
    reader.set_lexicon_loader(load_lexicon)
    assert reader.lexicon().sources_of("koeleba", "kuleba") == {}

    update(root, [_doc("nl-2", "nl", "Daarna sprak minister Koeleba met president Poetin.")],
           lexicon_builder=builder)
    after = (generation / LEXICON_FILE).stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        static.st_ino, static.st_mtime_ns, static.st_size)
    assert reader.lexicon().sources_of("koeleba", "kuleba") == {"transliteration": 0.9}
    part = json.loads((generation / LEXICON_CORPUS_FILE).read_text())
    assert part["format"] == corpus_part.FORMAT
    assert (generation / LEXICON_CORPUS_FILE).stat().st_size < static.st_size


def test_a_generation_from_before_the_corpus_part_gets_one_on_the_next_write(tmp_path):
    builder = IncrementalBuilder(freedict_dir=None, cache_dir=tmp_path / "cache")
    root = tmp_path / "index"
    rebuild(root, [_doc("nl-1", "nl", "Gisteren sprak president Poetin met de pers.")],
            lexicon_builder=builder)
    generation = current_generation(root)
    # As a generation written before the corpus part existed: no file, and no checksum for it.
    (generation / LEXICON_CORPUS_FILE).unlink()
    point = json.loads((generation / "commit.json").read_text())
    point["files"].pop(LEXICON_CORPUS_FILE, None)
    (generation / "commit.json").write_text(json.dumps(point))
    update(root, [_doc("en-1", "en", "Yesterday president Putin spoke.")],
           lexicon_builder=builder)
    lexicon = load_lexicon(generation / LEXICON_FILE)
    assert [link.term for link in lexicon.links("nl", "poetin")] == ["putin"]


def test_the_static_part_is_built_once_per_source_version(tmp_path, monkeypatch):
    parallel = tmp_path / "parallel"
    parallel.mkdir()
    (parallel / "nld_Latn.devtest").write_text("de hond slaapt\n")
    (parallel / "eng_Latn.devtest").write_text("the dog sleeps\n")
    cache = tmp_path / "cache"
    first = static_cache.static_lexicon_file(cache, None, parallel)
    stamp = first.stat().st_mtime_ns
    assert static_cache.static_lexicon_file(cache, None, parallel) == first
    assert first.stat().st_mtime_ns == stamp  # reused, not built again

    (parallel / "eng_Latn.devtest").write_text("the dog is asleep\n")
    second = static_cache.static_lexicon_file(cache, None, parallel)
    assert second != first  # another source version, another file

    second.write_text('{"format": "tolk-lexicon", "pai')  # truncated: built again
    third = static_cache.static_lexicon_file(cache, None, parallel)
    assert third == second and Lexicon.load(third).stats()


@pytest.mark.parametrize("bad", ['{"format": "other"}', "[1, 2"])
def test_an_unreadable_corpus_part_is_an_error_not_a_silent_empty_lexicon(tmp_path, bad):
    path = tmp_path / LEXICON_CORPUS_FILE
    path.write_text(bad)
    with pytest.raises(ValueError):
        corpus_part.read_part(path)
    assert corpus_part.read_part(tmp_path / "missing.json") is None


def test_every_gunicorn_worker_sees_a_new_names_link_once_the_write_is_acknowledged(
        writable_index, gunicorn):
    """The corpus part changes with the write; each worker's reader reloads it.

    The query spells the name the other language's way, so only a cross-link
    (the new name's key, then the pair) can find the document.
    """
    key = "corpus-key"
    server = gunicorn(writable_index, workers=2, env={"TOLK_API_KEY": key})
    auth = {"Authorization": f"Bearer {key}"}

    def every_answer_finds(query, lang, doc_id):
        for _ in range(12):  # enough requests to reach both workers
            status, _, body = server.request("GET", f"/api/search?q={query}&lang={lang}")
            assert status == 200, body
            assert doc_id in {hit["id"] for hit in body["hits"]}, body

    status, _, body = server.request("GET", "/api/search?q=Koelebova&lang=en")
    assert body["total"] == 0
    english = {"id": "kul-en", "language": "en",
               "text": "Yesterday the minister Kulebova spoke in Brussels about the war."}
    assert server.request("POST", "/api/documents", body={"documents": [english]},
                          headers=auth)[0] == 200
    every_answer_finds("Koelebova", "en", "kul-en")
    dutch = {"id": "kul-nl", "language": "nl",
             "text": "Gisteren sprak minister Koelebova in Brussel over de oorlog."}
    assert server.request("POST", "/api/documents", body={"documents": [dutch]},
                          headers=auth)[0] == 200
    every_answer_finds("Kulebova", "nl", "kul-nl")
