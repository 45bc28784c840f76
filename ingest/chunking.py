"""Cut a Document into passages that follow its structure, keeping exact character offsets.

Sections start at Markdown headings (and PDF pages); paragraphs are packed into chunks of about
`size` characters; a paragraph too long for one chunk is split by LangChain's recursive splitter.
A new chunk in the same section repeats the previous chunk's last sentence (the overlap) when
that sentence is short, so a fact that spans a boundary keeps its context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.documents import Chunk, Document
from ingest.limits import MAX_HEADING_CHARS, clip
from ingest.sentences import sentence_spans

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class ChunkSettings:
    size: int = 700
    overlap: int = 200

    @property
    def version(self) -> str:
        """Part of each document's hash: changing the settings (or how documents are read)
        re-ingests everything. v2: sentence vectors stored too; v3: PDFs' running headers and
        footers, and saved pages' menu lines, left out."""
        return f"chunks-v3-{self.size}-{self.overlap}"


@dataclass(frozen=True)
class _Section:
    start: int
    end: int
    heading: str
    page: int


def chunk_document(doc: Document, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """Every passage of `doc`, in order, each an exact slice `doc.text[start:end]`."""
    spans: list[tuple[int, int, _Section]] = []
    for section in _sections(doc):
        for start, end in _pack(doc.text, _paragraphs(doc.text, section), settings):
            spans.append((start, end, section))
    return [
        Chunk(index=i, start=s, end=e, text=doc.text[s:e], heading=sec.heading, page=sec.page)
        for i, (s, e, sec) in enumerate(spans)
    ]


def _sections(doc: Document) -> list[_Section]:
    text = doc.text
    # A heading is repeated in each of its passages' metadata and embedded text: cut long ones.
    marks = [(0, "")] + [
        (m.start(), clip(m.group(2).strip(), MAX_HEADING_CHARS)) for m in _HEADING.finditer(text)
    ]
    marks += [(offset, "") for _, offset in doc.pages if offset > 0]
    marks.sort()
    out = []
    for i, (start, heading) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        # A section without its own heading inherits the last one (a PDF page break, say).
        heading = heading or (out[-1].heading if out else "")
        if end > start:
            out.append(_Section(start, end, heading, _page_at(doc.pages, start)))
    return out


def _page_at(pages: tuple[tuple[int, int], ...], offset: int) -> int:
    page = 0
    for number, start in pages:
        if start <= offset:
            page = number
    return page


def _paragraphs(text: str, section: _Section) -> list[tuple[int, int]]:
    """Paragraph spans inside a section, heading lines dropped (the heading is metadata)."""
    out = []
    start = section.start
    for match in [*_PARAGRAPH_BREAK.finditer(text, section.start, section.end), None]:
        end = match.start() if match else section.end
        block = text[start:end]
        lead = len(block) - len(block.lstrip())
        if _HEADING.match(block.lstrip()):
            nl = block.find("\n", lead)
            lead = len(block) if nl == -1 else nl + 1
        s, e = start + lead, end
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
        start = match.end() if match else section.end
    return out


def _pack(
    text: str, paragraphs: list[tuple[int, int]], cfg: ChunkSettings
) -> list[tuple[int, int]]:
    """Group paragraphs into chunks of about cfg.size characters, with a sentence of overlap."""
    pieces = [p for s, e in paragraphs for p in _fit(text, s, e, cfg)]
    chunks: list[tuple[int, int]] = []
    start = end = -1
    for s, e in pieces:
        if start < 0:
            start, end = s, e
        elif e - start <= cfg.size:
            end = e
        else:
            chunks.append((start, end))
            start, end = _overlap_start(text, start, end, cfg), e
    if start >= 0:
        chunks.append((start, end))
    return chunks


def _overlap_start(text: str, start: int, end: int, cfg: ChunkSettings) -> int:
    spans = sentence_spans(text[start:end])
    if len(spans) < 2:
        return _next_start(text, end)
    last_start, last_end = spans[-1]
    if last_end - last_start > cfg.overlap:
        return _next_start(text, end)
    return start + last_start


def _next_start(text: str, end: int) -> int:
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _fit(text: str, start: int, end: int, cfg: ChunkSettings) -> list[tuple[int, int]]:
    """A paragraph as one piece, or split into pieces no longer than cfg.size."""
    if end - start <= cfg.size:
        return [(start, end)]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=cfg.size,
        chunk_overlap=0,
        separators=["\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
    )
    out = []
    for piece in splitter.create_documents([text[start:end]]):
        s = start + int(piece.metadata["start_index"])
        out.append((s, s + len(piece.page_content)))
    return out
