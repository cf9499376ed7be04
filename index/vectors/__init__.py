"""Document vectors: a multilingual sentence embedder and a per-generation vector store.

``index.vectors.embedder`` wraps the offline models (``TOLK_EMBEDDER``);
``index.vectors.store`` keeps one unit vector per document with each index
generation, written in the same two-phase commit as the documents.
"""
