"""Loaders, cleaning, chunking and the sync job. Imports `vectorstore` only."""
