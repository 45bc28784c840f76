"""The data ingestion works on: a loaded Document and the Chunks cut from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


class LoadError(Exception):
    """A source that cannot be ingested; the message says why, for the run's summary."""


def doc_id_for(source: str) -> str:
    """A stable id for a source (a path or a URL): the same source always gets the same id."""
    return hashlib.sha1(source.encode()).hexdigest()[:12]


def content_hash(data: bytes, salt: str = "") -> str:
    """Hash of a source's bytes (and the chunking settings, so changing those re-ingests)."""
    return hashlib.sha256(salt.encode() + b"\0" + data).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    """A loaded source: clean text plus what a citation needs to show."""

    source: str  # the path (relative where possible) or URL it came from
    text: str
    title: str
    publisher: str = ""
    published: str = ""  # ISO date where known
    url: str = ""
    kind: str = ""
    origin: str = "file"  # file | url
    pages: tuple[tuple[int, int], ...] = ()  # (page number, start offset) for PDFs
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.source)


@dataclass(frozen=True)
class Chunk:
    """A passage of a Document: text[start:end] under `heading` (on `page`, for PDFs)."""

    index: int
    start: int
    end: int
    text: str
    heading: str = ""
    page: int = 0
