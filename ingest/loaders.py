"""Turn a file's bytes into a Document.

Markdown (with front matter), plain text, HTML (main text via trafilatura) and PDF (pypdf).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ingest.documents import Document, LoadError

log = logging.getLogger(__name__)

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MIN_ARTICLE_WORDS = 12  # below this, what trafilatura found is a menu or a stub, not an article
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text, or a LoadError that says whether the file is empty, binary or undecodable."""
    if not data.strip():
        raise LoadError(f"{name}: the file is empty")
    if b"\0" in data[:8192]:
        raise LoadError(f"{name}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{name}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8"
        ) from None
    if not text.strip():
        raise LoadError(f"{name}: the file has no text")
    return text.replace("\r\n", "\n")


def _iso(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value or "").strip()


def load_markdown(data: bytes, source: str) -> Document:
    """Markdown with optional YAML front matter: title, publisher, published, url, kind, sources."""
    text = decode_text(data, source)
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"{source}: the front matter is not valid YAML ({exc})") from None
        if not isinstance(meta, dict):
            raise LoadError(f"{source}: the front matter must be a mapping of fields")
        text = text[match.end() :]
    if not text.strip():
        raise LoadError(f"{source}: no text after the front matter")
    sources = meta.get("sources") or []
    return Document(
        source=source,
        text=text.strip("\n"),
        title=str(meta.get("title") or _first_heading(text) or Path(source).stem),
        publisher=str(meta.get("publisher") or ""),
        published=_iso(meta.get("published") or meta.get("date")),
        url=str(meta.get("url") or ""),
        kind=str(meta.get("kind") or ""),
        extra={
            "as_of": _iso(meta.get("as_of")),
            "sources": " ".join(map(str, sources)) if isinstance(sources, list) else str(sources),
        },
    )


def _first_heading(text: str) -> str:
    match = re.search(r"^#{1,3}\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def load_text(data: bytes, source: str) -> Document:
    """Plain text: the first short line is the title when it looks like one."""
    text = decode_text(data, source).strip("\n")
    first = text.split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 120 and not first.endswith(".") else Path(source).stem
    return Document(source=source, text=text, title=title)


def load_html(data: bytes, source: str, *, url: str = "") -> Document:
    """The main text of a page (no menus, banners or related links) and its metadata."""
    import trafilatura

    html = decode_html(data, source)
    found = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        output_format="python",
    )
    body = _markdown_body(html, url)
    if found is None or len(body.split()) < MIN_ARTICLE_WORDS:
        raise LoadError(f"{source}: no article text found in the page")
    return Document(
        source=source,
        text=body,
        title=str(getattr(found, "title", "") or Path(source).stem),
        publisher=str(getattr(found, "sitename", "") or ""),
        published=str(getattr(found, "date", "") or ""),
        url=url or str(getattr(found, "url", "") or ""),
        extra={"author": str(getattr(found, "author", "") or "")},
    )


def _markdown_body(html: str, url: str) -> str:
    import trafilatura

    # Markdown output keeps headings, which the chunker follows.
    text = trafilatura.extract(
        html,
        url=url or None,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    return (text or "").strip()


def decode_html(data: bytes, source: str) -> str:
    if not data.strip():
        raise LoadError(f"{source}: the file is empty")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoadError(f"{source}: the page's text encoding could not be read")


def load_pdf(data: bytes, source: str) -> Document:
    """A PDF's text, page by page (pages recorded so citations can name them)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.strip():
        raise LoadError(f"{source}: the file is empty")
    try:
        reader = PdfReader(io.BytesIO(data))
        texts = [(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"{source}: not a readable PDF ({exc})") from None
    if not any(texts):
        raise LoadError(f"{source}: the PDF has no text layer (a scanned PDF needs OCR first)")
    parts, pages, offset = [], [], 0
    for number, text in enumerate(texts, start=1):
        if not text:
            continue
        pages.append((number, offset))
        parts.append(text)
        offset += len(text) + 2
    created = getattr(info, "creation_date", None) if info else None
    return Document(
        source=source,
        text="\n\n".join(parts),
        title=str(info.get("/Title") or "").strip() or Path(source).stem,
        publisher=str(info.get("/Author") or "").strip(),
        published=_iso(created) if created else "",
        pages=tuple(pages),
    )


LOADERS: dict[str, Callable[[bytes, str], Document]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}
