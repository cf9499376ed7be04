"""The start-up cache (index/startup_cache.py): FreeDict word lists and the language model
kept on disk between runs, read back only when intact and current.

Real files throughout: the Debian FreeDict dictionaries, py3langid's shipped model, cache
files in a temporary folder that the tests truncate, corrupt and outdate.
"""

import os
import shutil
from pathlib import Path

import pytest

from index import startup_cache
from index.crosslink.dictionary import FILES
from index.ingest import language, language_evidence
from service.languages import language_options

FREEDICT = language_evidence.default_freedict_dir()
needs_freedict = pytest.mark.skipif(FREEDICT is None, reason="Debian FreeDict not installed")


@pytest.fixture
def cache_dir(tmp_path):
    """A configured, empty cache folder; the word lists' in-process memo is cleared."""
    before = startup_cache.folder()
    folder = tmp_path / "cache"
    startup_cache.configure(folder)
    language_evidence._headwords.cache_clear()
    yield folder
    startup_cache.configure(before)
    language_evidence._headwords.cache_clear()


def only_file(folder: Path, table: str) -> Path:
    files = sorted(folder.glob(f"{table}-*.bin"))
    assert len(files) == 1, files
    return files[0]


def test_payload_round_trip_and_damage(cache_dir):
    payload = "woorden\nwords ë\0".encode() * 1000
    path = startup_cache.write("table", "k1", payload)
    assert bytes(startup_cache.read("table", "k1")) == payload
    assert startup_cache.read("table", "k2") is None  # another key: stale

    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # truncated
    assert startup_cache.read("table", "k1") is None
    path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit flipped
    assert startup_cache.read("table", "k1") is None
    path.write_bytes(b"")  # empty
    assert startup_cache.read("table", "k1") is None
    path.write_bytes(b"\xff" * 50)  # garbage without a header line
    assert startup_cache.read("table", "k1") is None

    # cached() rebuilds a damaged file and stores it whole again.
    built = []
    got = startup_cache.cached("table", "k1", lambda: built.append(1) or payload)
    assert bytes(got) == payload and built == [1]
    assert bytes(startup_cache.cached("table", "k1", lambda: built.append(2) or b"")) == payload
    assert built == [1]
    assert not list(cache_dir.glob("*.tmp"))


def test_without_a_folder_nothing_is_cached(tmp_path):
    before = startup_cache.folder()
    startup_cache.configure(None)
    try:
        assert startup_cache.write("table", "k", b"x") is None
        assert startup_cache.read("table", "k") is None
        assert startup_cache.cached("table", "k", lambda: b"built") == b"built"
    finally:
        startup_cache.configure(before)


def test_unwritable_folder_is_a_warning_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert startup_cache.write("table", "k", b"x", cache_dir=blocker / "cache") is None
    assert startup_cache.cached("table", "k", lambda: b"built", cache_dir=blocker) == b"built"


def test_old_keys_are_pruned(cache_dir):
    for key in ("a", "b", "c", "d"):
        startup_cache.write("table", key, key.encode())
    left = {p.name for p in cache_dir.glob("table-*.bin")}
    assert "table-d.bin" in left and len(left) == startup_cache.KEEP


@needs_freedict
def test_word_lists_from_the_cache_equal_the_parsed_ones(cache_dir):
    parsed = language_evidence._build_headwords(FREEDICT)
    first = language_evidence._headwords(FREEDICT)  # builds and writes the cache
    path = only_file(cache_dir, "headwords")
    language_evidence._headwords.cache_clear()
    second = language_evidence._headwords(FREEDICT)  # reads it
    assert first == parsed and second == parsed
    assert len(parsed[0]) > 10_000 and len(parsed[1]) > 10_000
    assert "regering" in parsed[0] and "government" in parsed[1]

    raw = path.read_bytes()
    for damaged in (raw[:-100], raw[:40], raw.replace(b"regering", b"regerinh", 1)):
        path.write_bytes(damaged)
        language_evidence._headwords.cache_clear()
        assert language_evidence._headwords(FREEDICT) == parsed
        assert path.read_bytes() == raw  # rebuilt and written whole again


@needs_freedict
def test_a_changed_dictionary_file_is_parsed_again(cache_dir, tmp_path):
    freedict = tmp_path / "dictd"
    freedict.mkdir()
    for name in FILES.values():
        for ext in (".index", ".dict.dz"):
            if (Path(FREEDICT) / f"{name}{ext}").exists():
                shutil.copy2(Path(FREEDICT) / f"{name}{ext}", freedict)
    first = language_evidence._headwords(str(freedict))
    old = only_file(cache_dir, "headwords")

    # The English-Dutch dictionary loses its entries (an empty index): other words.
    index_file = freedict / f"{FILES[('en', 'nl')]}.index"
    index_file.write_text("")
    os.utime(index_file, ns=(1, 1))
    language_evidence._headwords.cache_clear()
    second = language_evidence._headwords(str(freedict))
    assert second == language_evidence._build_headwords(str(freedict))
    assert second != first
    assert len(list(cache_dir.glob("headwords-*.bin"))) == 2 and old.exists()


def test_language_model_from_the_cache_ranks_as_the_library(cache_dir):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    library = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    texts = ["De regering stuurt troepen naar het grensgebied",
             "The government sends troops to the border region",
             "Die Regierung schickt Truppen", "Ajax", "x", "", "." * 1000, "Oekraïne café"]
    built = language._load_identifier()  # decompresses the model into the cache
    path = only_file(cache_dir, "langid")
    read = language._load_identifier()  # from the cache
    for text in texts:
        assert built.rank(text) == library.rank(text) == read.rank(text), text

    path.write_bytes(path.read_bytes()[:1_000_000])  # truncated: the library's file again
    again = language._load_identifier()
    assert again.rank(texts[0]) == library.rank(texts[0])
    assert startup_cache.read("langid", path.name[len("langid-"):-len(".bin")]) is not None


def test_language_options_configure_the_cache_in_the_index_dir(tmp_path):
    before = startup_cache.folder()
    try:
        language_options({"INDEX_DIR": str(tmp_path / "ix"), "FREEDICT_DIR": ""})
        assert startup_cache.folder() == tmp_path / "ix" / "cache"
    finally:
        startup_cache.configure(before)


def test_index_copies_link_the_cache_files(tmp_path):
    from conftest import copy_index

    source = tmp_path / "ix"
    (source / "cache").mkdir(parents=True)
    startup_cache.write("langid", "k", b"model" * 100, cache_dir=source / "cache")
    (source / "meta.json").write_text("{}")
    target = copy_index(source, tmp_path / "copy")
    copied = target / "cache" / "langid-k.bin"
    assert copied.stat().st_ino == (source / "cache" / "langid-k.bin").stat().st_ino
    assert bytes(startup_cache.read("langid", "k", cache_dir=target / "cache")) == b"model" * 100
    assert (target / "meta.json").read_text() == "{}"
