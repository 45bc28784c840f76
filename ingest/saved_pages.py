"""Web pages saved as plain text: their header lines, and the page furniture around the article.

Tools that save a page as text put `Title: …`, `URL: …`, `Published Time: …` lines at the top,
and keep the site's furniture: "Skip to main content", breadcrumbs ("Home > News > Health"),
share and cookie prompts, newsletter sign-ups, "Related stories", footers. Quoted in an answer,
those lines are noise, so the header becomes the document's details and the furniture goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(
    r"^\s*(title|url|url source|source|canonical url|published(?: time| date)?|date"
    r"|saved(?: on)?|retrieved(?: on)?|captured|author|byline|description|site(?: name)?"
    r"|publisher|markdown content)\s*:\s*(.*)$",
    re.I,
)
# A short line that is page furniture rather than article text.
_FURNITURE = re.compile(
    r"^\s*(?:skip to (?:main )?content|jump to (?:main )?content|home\s*(?:>|/|›|»|\|)"
    r"|you are here\b|breadcrumbs?\b|share (?:this|on|via)\b|print (?:this )?page"
    r"|(?:accept|reject|manage) (?:all )?cookies|we use (?:some )?(?:essential )?cookies"
    r"|\[?cookies? (?:settings|preferences|policy|notice|banner|consent)\]?"
    r"|this (?:site|website) uses cookies"
    r"|sign up (?:to|for) (?:our|the) (?:newsletter|emails?|updates|alerts)"
    r"|subscribe (?:to|for|now)\b|get (?:our|the) newsletter|newsletter sign"
    r"|related (?:stories|articles|content|links|news|reading)\b|more (?:stories|from)\b"
    r"|read more\s*$|back to top|follow us\b|©|copyright\s*(?:©|\(c\)|\d{4})|all rights reserved"
    r"|accessibility statement|privacy (?:policy|notice)\s*$|terms (?:and|&) conditions"
    r"|(?:contact us|advertisement|menu|search|close|log ?in|sign in|share)\s*$"
    r"|in this section\b|on this page\b|was this page (?:useful|helpful)"
    r"|page last (?:reviewed|updated)\b)",
    re.I,
)
_AD_MARK = re.compile(
    r"^\s*\[?(?:(?P<end>end of (?:advertisement|advert))|advertisement|advert"
    r"|sponsored(?: content)?|promoted|paid (?:content|post))\]?\s*$",
    re.I,
)
AD_MAX_LINES = 3
FURNITURE_MAX_CHARS = 200  # a longer line is article text, whatever it starts with
# "News | Health | Politics | Money | Sign in": a menu is short items between bars or bullets.
_MENU_BAR = re.compile(r"\s[|•·]\s")
MENU_ITEMS = 4  # at least this many items
MENU_ITEM_WORDS = 3  # most of them this short
_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)")


@dataclass(frozen=True)
class SavedPage:
    """The article text, and the details its header lines gave."""

    text: str
    details: dict[str, str] = field(default_factory=dict)  # title, url, published


def read_saved_page(text: str) -> SavedPage:
    """Header lines at the top become details; short furniture lines anywhere are dropped."""
    lines = text.split("\n")
    details: dict[str, str] = {}
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 - the first non-header line is kept
        match = _HEADER.match(line)
        if not match:
            if line.strip():
                break
            continue
        _note(details, match[1].lower(), match[2].strip())
    else:
        start = len(lines)
    body = [line for line in _without_adverts(lines[start:]) if not _furniture(line)]
    return SavedPage("\n".join(body).strip("\n"), details)


def _without_adverts(lines: list[str]) -> list[str]:
    """The lines without adverts: the few lines after an "ADVERTISEMENT" marker, up to a blank
    line or "END OF ADVERTISEMENT" ("Highland holiday cottages - book now and save 10% >"
    was being quoted as an answer)."""
    kept: list[str] = []
    left = 0  # lines of an advert still to drop
    for line in lines:
        mark = _AD_MARK.match(line)
        if mark:
            left = 0 if mark["end"] else AD_MAX_LINES
            continue
        if left and line.strip() and len(line.strip()) <= FURNITURE_MAX_CHARS:
            left -= 1
            continue
        left = 0
        kept.append(line)
    return kept


def _note(details: dict[str, str], key: str, value: str) -> None:
    if not value:
        return
    if key == "title":
        details.setdefault("title", value)
    elif key in ("url", "url source", "source", "canonical url") and value.startswith("http"):
        details.setdefault("url", value)
    elif key.startswith(("published", "date")):
        date = _DATE.search(value)
        if date:
            details.setdefault("published", date[0])
    elif key in ("site", "site name", "publisher"):
        details.setdefault("publisher", value)


def _furniture(line: str) -> bool:
    if len(line.strip()) > FURNITURE_MAX_CHARS:
        return False
    return _FURNITURE.match(line) is not None or _menu(line)


def _menu(line: str) -> bool:
    items = _MENU_BAR.split(line.strip())
    short = sum(len(item.split()) <= MENU_ITEM_WORDS for item in items)
    return len(items) >= MENU_ITEMS and short > len(items) / 2
