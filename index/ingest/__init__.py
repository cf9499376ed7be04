"""Ingest: raw text -> documents (reading, cleaning, language, name candidates)."""
