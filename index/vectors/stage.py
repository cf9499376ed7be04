"""The embedding stage of indexing: documents -> a ``Batch`` of unit vectors.

Run before the write lock is taken where the documents are known (like name
candidates), so other writers do not wait for the model. A document whose
embedded text (``document_text``) is unchanged keeps the vector it has in
``previous`` (a rebuild or reindex re-embeds only what changed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from index.vectors import embedder as embedders
from index.vectors.store import Batch, VectorStore, text_hash


def embed_batch(docs: Iterable, previous: VectorStore | None = None,
                name: str | None = None) -> Batch | None:
    """Vectors for ``docs`` (objects with id, language, title, text); None when off."""
    model = embedders.get(name)
    if model is None:
        return None
    docs = list(docs)
    texts = [embedders.document_text(d.title, d.text) for d in docs]
    hashes = [text_hash(t) for t in texts]
    vectors = np.zeros((len(docs), model.dims), dtype=np.float32)
    todo = []
    reuse = previous if previous is not None and previous.model == model.name else None
    for i, (doc, h) in enumerate(zip(docs, hashes)):
        if reuse is not None and reuse.hash_of(doc.id) == h:
            vectors[i] = reuse.vector_of(doc.id)
        else:
            todo.append(i)
    if todo:
        vectors[todo] = model.encode_documents([texts[i] for i in todo])
    return Batch(model=model.name, dims=model.dims, ids=[d.id for d in docs],
                 languages=[d.language for d in docs], hashes=hashes, vectors=vectors)


def open_store(generation: Path, state: dict | None) -> VectorStore | None:
    """The store of a commit point's vector state, or None (no vectors); best effort."""
    if not state:
        return None
    try:
        return VectorStore(generation, state)
    except (OSError, ValueError, KeyError):
        return None
