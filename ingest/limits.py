"""How much of a source ingestion will read: every hostile-input bound in one place.

Each limit is a constant with the reason for its value; `Limits` carries them, and
`Ingestor(limits=Limits(...))` changes them. A source over a limit is refused by name with the
limit in its reason; the rest of the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

# Published reports with images run to 10-20 MB; nothing we ingest needs more. Checked with
# fstat before a byte is read, so a 50 MB text file costs nothing.
MAX_FILE_BYTES = 25_000_000
# Embedding is the cost of ingestion, linear in the text: ~50 ms per 700-character passage on
# one busy core, so 1 MB of text (~1,900 passages) takes ~1.5 minutes and this limit (an
# ~800-page report) ~3 minutes. Longer texts are refused, never cut silently: split them.
MAX_TEXT_CHARS = 2_000_000
# Real front matter is a dozen short fields (< 2 kB). Aliases and anchors are refused outright:
# they are how a 379-byte "billion laughs" file expands to gigabytes.
MAX_FRONT_MATTER_BYTES = 16_384
# A 1,000-page PDF is already a book; more is a generated or hostile file.
MAX_PDF_PAGES = 1_000
# Bytes any one PDF stream may inflate to (pypdf's own default is 75 MB). A text page's content
# stream is a few kB to a few hundred kB; 20 MB stops a deflate bomb at ~1,000:1 early.
MAX_PDF_STREAM_BYTES = 20_000_000
# PDFs are parsed in a child process with these hard limits, which bound everything pypdf does
# (streams inflated in forms, object streams, xref recovery) whatever the file holds. A
# 400-page report needs well under 200 MB and a few seconds.
PDF_MEMORY_BYTES = 768_000_000
PDF_SECONDS = 60.0
# Titles and headings are repeated in every passage's metadata and embedded text: a 500 kB
# "heading" times 700 passages is 350 MB. Longer ones are cut (with an ellipsis).
MAX_TITLE_CHARS = 300
MAX_HEADING_CHARS = 200
# The same for the other details every passage carries (publisher, url, a brief's list of
# sources: the longest in corpus/ is ~1,700 characters).
MAX_META_CHARS = 4_000


@dataclass(frozen=True)
class Limits:
    """The bounds one ingestion run applies (defaults: the constants above)."""

    file_bytes: int = MAX_FILE_BYTES
    text_chars: int = MAX_TEXT_CHARS
    front_matter_bytes: int = MAX_FRONT_MATTER_BYTES
    pdf_pages: int = MAX_PDF_PAGES
    pdf_stream_bytes: int = MAX_PDF_STREAM_BYTES
    pdf_memory_bytes: int = PDF_MEMORY_BYTES
    pdf_seconds: float = PDF_SECONDS


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
