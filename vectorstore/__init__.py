"""Embeddings, the Chroma store (embedded or server) and hybrid search. Imports nothing of ours."""
