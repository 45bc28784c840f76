"""`sources.toml`: the feeds, single URLs and folders a curator wants kept in the store.

    feeds = ["https://www.digitalhealth.net/feed/"]          # a plain list of URLs, or tables:

    [[urls]]
    url = "https://www.england.nhs.uk/digitaltechnology/"
    name = "NHS England digital"                             # optional label for reports

    [[folders]]
    path = "corpus"                                          # relative to this file

Each of `feeds`, `urls` and `folders` is a list of strings or of tables; feeds also take
`max_items` (default 50). Unknown keys are errors, so a typo never silently drops a source.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ingest.redact import redact
from ingest.web import normalize_url

DEFAULT_MAX_ITEMS = 50


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class FeedSource:
    url: str
    name: str = ""
    max_items: int = DEFAULT_MAX_ITEMS


@dataclass(frozen=True)
class UrlSource:
    url: str
    name: str = ""


@dataclass(frozen=True)
class FolderSource:
    path: Path
    name: str = ""


@dataclass(frozen=True)
class Sources:
    """Everything a sources file lists, duplicates removed, in file order."""

    feeds: tuple[FeedSource, ...] = ()
    urls: tuple[UrlSource, ...] = ()
    folders: tuple[FolderSource, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.feeds or self.urls or self.folders)


_KEYS = {
    "feeds": ("url", "name", "max_items"),
    "urls": ("url", "name"),
    "folders": ("path", "name"),
}
_MAIN = {"feeds": "url", "urls": "url", "folders": "path"}


def load_sources(path: Path) -> Sources:
    """Read and check a sources file; a missing or invalid one raises SourcesError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(
            f"{path}: no sources file here; create one or set NHSBOT_SOURCES_FILE"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot be read ({exc})") from None
    return parse_sources(text, base_dir=path.resolve().parent, name=str(path))


def parse_sources(text: str, *, base_dir: Path, name: str = "sources.toml") -> Sources:
    """Parse sources TOML; folder paths are taken relative to `base_dir`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{name}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise SourcesError(f"{name}: unknown section {unknown[0]!r} (use feeds, urls, folders)")
    entries = {kind: _entries(data, kind, name) for kind in _KEYS}
    feeds = {}
    for where, entry in entries["feeds"]:
        url = _url(entry["url"], where)
        max_items = entry.get("max_items", DEFAULT_MAX_ITEMS)
        if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1:
            raise SourcesError(f"{where}: max_items must be a whole number of at least 1")
        feeds.setdefault(url, FeedSource(url, str(entry.get("name", "")), max_items))
    urls = {}
    for where, entry in entries["urls"]:
        url = _url(entry["url"], where)
        urls.setdefault(url, UrlSource(url, str(entry.get("name", ""))))
    folders = {}
    for _, entry in entries["folders"]:
        folder = (base_dir / Path(entry["path"]).expanduser()).resolve()
        folders.setdefault(folder, FolderSource(folder, str(entry.get("name", ""))))
    return Sources(tuple(feeds.values()), tuple(urls.values()), tuple(folders.values()))


def _entries(data: dict[str, Any], kind: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(`file: kind[n]`, table) for each entry of one section, strings made into tables."""
    raw = data.get(kind, [])
    if not isinstance(raw, list):
        raise SourcesError(f"{name}: {kind} must be a list")
    out = []
    for n, item in enumerate(raw, start=1):
        where = f"{name}: {kind}[{n}]"
        entry = {_MAIN[kind]: item} if isinstance(item, str) else item
        if not isinstance(entry, dict):
            raise SourcesError(f"{where}: expected a string or a table")
        extra = sorted(set(entry) - set(_KEYS[kind]))
        if extra:
            raise SourcesError(f"{where}: unknown key {extra[0]!r}")
        main = entry.get(_MAIN[kind])
        if not isinstance(main, str) or not main.strip():
            raise SourcesError(f"{where}: needs a {_MAIN[kind]}")
        out.append((where, entry))
    return out


def _url(value: str, where: str) -> str:
    """A normalised http(s) URL (the address itself is vetted when it is fetched)."""
    shown = redact(value)  # never echo user:password@
    try:
        url = httpx.URL(value.strip())
    except httpx.InvalidURL as exc:
        raise SourcesError(f"{where}: {shown!r} is not a valid URL ({redact(str(exc))})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise SourcesError(f"{where}: {shown!r} is not an http(s) URL")
    return normalize_url(str(url))
