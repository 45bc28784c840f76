"""Turn a file's bytes into a Document.

Markdown (with front matter), plain text, HTML (main text via trafilatura) and PDF (pypdf, in a
child process with hard limits: `ingest.pdf_worker`). Every loader raises LoadError, and only
LoadError, for input it can't use; `ingest.limits` bounds what each will read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ingest import pdf_worker
from ingest.documents import Document, LoadError
from ingest.limits import Limits
from ingest.pdf_pages import without_running_lines
from ingest.saved_pages import read_saved_page

log = logging.getLogger(__name__)

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MIN_ARTICLE_WORDS = 12  # below this, what trafilatura found is a menu or a stub, not an article
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
DEFAULT_LIMITS = Limits()


def decode_text(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """UTF-8 text, or a LoadError that says whether the file is empty, binary, undecodable or
    longer than `limits.text_chars`."""
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
    check_length(text, name, limits)
    return text.replace("\r\n", "\n")


def check_length(text: str, name: str, limits: Limits) -> None:
    if len(text) > limits.text_chars:
        raise LoadError(
            f"{name}: {len(text):,} characters of text, over the {limits.text_chars:,} limit; "
            "split it into smaller files"
        )


def _iso(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return _scalar(value or "")


def load_markdown(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Markdown with optional YAML front matter: title, publisher, published, url, kind, sources."""
    text = decode_text(data, source, limits)
    meta: dict[Any, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = front_matter(match.group(1), source, limits)
        text = text[match.end() :]
    if not text.strip():
        raise LoadError(f"{source}: no text after the front matter")
    sources = meta.get("sources") or []
    return Document(
        source=source,
        text=text.strip("\n"),
        title=_scalar(meta.get("title")) or _first_heading(text) or Path(source).stem,
        publisher=_scalar(meta.get("publisher")),
        published=_iso(meta.get("published") or meta.get("date")),
        url=_scalar(meta.get("url")),
        kind=_scalar(meta.get("kind")),
        extra={
            "as_of": _iso(meta.get("as_of")),
            "sources": " ".join(map(_scalar, sources))
            if isinstance(sources, list)
            else _scalar(sources),
        },
    )


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases: front matter never needs them, and
    they are how a few hundred bytes expand to gigabytes ("billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _AliasRefused
        return super().compose_node(parent, index)


class _AliasRefused(Exception):
    pass


def front_matter(raw: str, source: str, limits: Limits = DEFAULT_LIMITS) -> dict[Any, Any]:
    """The fields of a YAML front matter block (a mapping), or a LoadError saying why not."""
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > limits.front_matter_bytes:
        raise LoadError(
            f"{source}: the front matter is {size:,} bytes, over the "
            f"{limits.front_matter_bytes:,}-byte limit"
        )
    try:
        meta = yaml.load(raw, Loader=_FrontMatterLoader) or {}  # noqa: S506 - a safe loader
    except _AliasRefused:
        raise LoadError(
            f"{source}: the front matter uses YAML anchors or aliases (& or *), "
            "which are not allowed; write each value out"
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"{source}: the front matter is not valid YAML ({exc})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. a 5,000-digit number, a date like 2024-13-45, brackets nested 10,000 deep
        shown = type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)[:200]
        raise LoadError(
            f"{source}: the front matter has a value that can't be read ({shown})"
        ) from None
    if not isinstance(meta, dict):
        raise LoadError(f"{source}: the front matter must be a mapping of fields")
    return meta


def _scalar(value: Any) -> str:
    """A front-matter field as text; lists and mappings where text belongs give ""."""
    if isinstance(value, (str, int, float, bool, dt.date)):
        return str(value).strip()
    return ""


def _first_heading(text: str) -> str:
    match = re.search(r"^#{1,3}\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


def load_text(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Plain text: the first short line is the title when it looks like one. A page saved as
    text gives its title, address and date in header lines, and loses its furniture."""
    page = read_saved_page(decode_text(data, source, limits).strip("\n"))
    text, details = page.text, page.details
    if not text.strip():  # e.g. a file holding only a copyright line, which is page furniture
        raise LoadError(f"{source}: no text once the page's header and furniture are removed")
    first = text.split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 120 and not first.endswith(".") else Path(source).stem
    return Document(
        source=source,
        text=text,
        title=details.get("title") or title,
        publisher=details.get("publisher", ""),
        published=details.get("published", ""),
        url=details.get("url", ""),
    )


def load_html(
    data: bytes, source: str, limits: Limits = DEFAULT_LIMITS, *, url: str = ""
) -> Document:
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
    check_length(body, source, limits)
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


def load_pdf(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> Document:
    """A PDF's text, page by page (pages recorded so citations can name them). Encrypted PDFs
    with an empty password (common in published reports) are read; others are refused."""
    if not data.strip():
        raise LoadError(f"{source}: the file is empty")
    found = _read_pdf(data, source, limits)
    if "refused" in found:
        raise LoadError(f"{source}: {found['refused']}")
    texts = [str(t) for t in found["pages"]]
    if not any(texts):
        raise LoadError(f"{source}: the PDF has no text layer (a scanned PDF needs OCR first)")
    texts = without_running_lines(texts)
    parts, pages, offset = [], [], 0
    for number, text in enumerate(texts, start=1):
        if not text:
            continue
        pages.append((number, offset))
        parts.append(text)
        offset += len(text) + 2
    return Document(
        source=source,
        text="\n\n".join(parts),
        title=str(found.get("title") or "").strip() or Path(source).stem,
        publisher=str(found.get("author") or "").strip(),
        published=str(found.get("created") or ""),
        pages=tuple(pages),
    )


def _read_pdf(data: bytes, source: str, limits: Limits) -> dict[str, Any]:
    """`pdf_worker`'s answer for `data`, from a child process that can't outgrow the limits."""
    args = {
        "pages": limits.pdf_pages,
        "stream_bytes": limits.pdf_stream_bytes,
        "text_chars": limits.text_chars,
        "memory": limits.pdf_memory_bytes,
        "seconds": max(1, int(limits.pdf_seconds)),
    }
    command = [sys.executable, "-I", pdf_worker.__file__, json.dumps(args)]
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=limits.pdf_seconds, check=False
        )
    except subprocess.TimeoutExpired:
        raise LoadError(
            f"{source}: reading the PDF took longer than {limits.pdf_seconds:g} s"
        ) from None
    try:
        found = json.loads(done.stdout)
    except ValueError:
        found = None
    if isinstance(found, dict) and ("pages" in found or "refused" in found):
        return found
    log.debug("pdf worker for %s exited %s: %s", source, done.returncode, done.stderr[-2000:])
    memory_mb = limits.pdf_memory_bytes // 1_000_000
    raise LoadError(
        f"{source}: the PDF could not be read within the limits ({memory_mb:,} MB of memory, "
        f"{limits.pdf_seconds:g} s; the reader exited with {done.returncode})"
    )


LOADERS: dict[str, Callable[[bytes, str, Limits], Document]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}
