"""Scoring: BM25 over synonym sets, as pure functions and vectorized with NumPy."""
