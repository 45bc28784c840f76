"""Fetched web pages to articles: main text and metadata, under one canonical URL.

The same article reached through tracking parameters, an AMP variant, a redirect or a page
that declares `rel=canonical` gets one canonical URL, so it is stored once. trafilatura only
ever sees HTML we fetched ourselves (`ingest.fetch`); it never fetches.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from ingest.addresses import literal_address
from ingest.fetch import FetchedPage

log = logging.getLogger(__name__)

TRACKING_PARAMS = frozenset(
    "fbclid gclid dclid gbraid wbraid msclkid yclid igshid mc_cid mc_eid _ga _gl "
    "ocid cmpid ito at_medium at_campaign at_custom1 ref_src amp outputtype".split()
)
_AMP_CACHE_HOST = re.compile(r"(?:^|\.)cdn\.ampproject\.org$")
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp)$")
_UNRESERVED_ESCAPE = re.compile(
    r"%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)", re.I
)
# Second-level labels under which the registrable domain has three labels (bbc.co.uk, nhs.uk).
_SECOND_LEVEL = frozenset("co com org net gov ac nhs ltd plc me sch police mod nic".split())
MIN_WORDS = 20  # below this, what trafilatura finds is a menu or a stub, not an article
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Boxes that sit inside articles but are not the article; trafilatura keeps some of them.
_CLUTTER = ("cookie", "consent", "paywall", "subscribe", "newsletter", "signup", "related", "promo")
_LOWER = "translate(@{0}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
PRUNE_XPATH = [
    "//*[not(self::html or self::body or self::main or self::article)]"
    f"[contains({_LOWER.format('class')}, '{word}') or contains({_LOWER.format('id')}, '{word}')]"
    for word in _CLUTTER
]


class ExtractionError(ValueError):
    """A page with no article text to extract; the message says which page."""


@dataclass(frozen=True)
class WebArticle:
    """An extracted article. `text` is Markdown (headings kept for the chunker)."""

    canonical_url: str
    title: str
    author: str
    site_name: str
    published: str  # ISO date where known, else ""
    text: str
    fetched_url: str = ""
    aliases: tuple[str, ...] = ()  # other normalised URLs that led here (redirects, AMP)


def _unwrap_amp_cache(host: str, path: str) -> str | None:
    """The publisher URL inside a Google AMP cache URL, or None."""
    parts = path.split("/")
    if host in ("www.google.com", "google.com") and path.startswith("/amp/"):
        rest = parts[3:] if parts[2] == "s" else parts[2:]
        scheme = "https" if parts[2] == "s" else "http"
    elif _AMP_CACHE_HOST.search(host) and len(parts) > 3 and parts[1] in ("c", "v"):
        rest = parts[3:] if parts[2] == "s" else parts[2:]
        scheme = "https" if parts[2] == "s" else "http"
    else:
        return None
    return f"{scheme}://" + "/".join(rest) if rest else None


def _clean_path(path: str) -> str:
    path = _UNRESERVED_ESCAPE.sub(lambda m: unquote(m.group(0)), path)
    path = re.sub(r"%[0-9a-f]{2}", lambda m: m.group(0).upper(), path)
    path = re.sub(r"/{2,}", "/", path)
    if path.startswith("/amp/"):
        path = path[4:]
    path = _AMP_PATH.sub("", path) or "/"
    path = re.sub(r"\.amp(\.html?)$", r"\1", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def normalize_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no default port, fragment,
    tracking parameters (utm_*, fbclid, gclid, ...) or AMP markers; query sorted."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    unwrapped = _unwrap_amp_cache(host, parts.path)
    if unwrapped:
        return normalize_url(unwrapped + (f"?{parts.query}" if parts.query else ""))
    scheme = parts.scheme.lower()
    if host.startswith("amp."):
        host = host[4:]
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else f"{host}:{port}"
    )
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    )
    return urlunsplit((scheme, netloc, _clean_path(parts.path), urlencode(query), ""))


def site_of(host: str) -> str:
    """The registrable part of a host name, approximately (`news.bbc.co.uk` -> `bbc.co.uk`)."""
    host = host.lower().rstrip(".")
    if literal_address(host.strip("[]")) is not None:
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(first: str, second: str) -> bool:
    """Whether two URLs belong to the same site (ports ignored)."""
    one, two = urlsplit(first).hostname or "", urlsplit(second).hostname or ""
    return bool(one) and site_of(one) == site_of(two)


def declared_canonical(html: str | bytes) -> str:
    """The page's `<link rel=canonical>` (else `og:url`), as written, or ""."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for xpath in (
        "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href",
        "//meta[@property='og:url']/@content",
    ):
        found = [str(value).strip() for value in tree.xpath(xpath) if str(value).strip()]
        if found:
            return found[0]
    return ""


def choose_canonical(final_url: str, declared: str) -> str:
    """The normalised canonical URL: the declared one when it is http(s) on the same site
    (a page must not claim another site's article), else the URL we ended up at."""
    final = normalize_url(final_url)
    if not declared:
        return final
    absolute = urljoin(final_url, declared)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return final
    if not same_site(final_url, absolute):
        log.warning("ignoring cross-site canonical %s on %s", absolute, final_url)
        return final
    return normalize_url(absolute)


@cache
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # trafilatura never fetches here, but if anything ever did, never without TLS checks.
    config.set("DEFAULT", "INSECURE_SSL_FALLBACK", "off")
    config.set("DEFAULT", "SSRF_PROTECTION", "on")
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")  # dates from the page, not guesses
    return config


def extract_article(html: str | bytes, url: str) -> WebArticle:
    """Main text (no menus, banners, paywall prompts or related links) and metadata."""
    import trafilatura

    options: dict[str, Any] = {
        "url": url,
        "include_comments": False,
        "include_tables": True,
        "favor_precision": True,
        "prune_xpath": PRUNE_XPATH,
        "config": _config(),
    }
    text = trafilatura.extract(html, output_format="markdown", **options)
    if not (text or "").strip():  # the pruning caught a wrapper: try without it
        options["prune_xpath"] = None
        text = trafilatura.extract(html, output_format="markdown", **options)
    meta = trafilatura.bare_extraction(html, with_metadata=True, **options)
    words = len((text or "").split())
    if meta is None or words < MIN_WORDS:
        raise ExtractionError(f"{url}: no article text found in the page ({words} words)")
    canonical = choose_canonical(url, declared_canonical(html))
    return WebArticle(
        canonical_url=canonical,
        title=str(getattr(meta, "title", "") or "").strip(),
        author=str(getattr(meta, "author", "") or "").strip(),
        site_name=str(getattr(meta, "sitename", "") or "").strip(),
        published=str(getattr(meta, "date", "") or "").strip(),
        text=(text or "").strip(),
        fetched_url=url,
    )


def article_from_page(page: FetchedPage) -> WebArticle:
    """The article in a fetched HTML or plain-text page, with every URL that led to it."""
    if page.content_type in HTML_TYPES:
        body: str | bytes = page.body
        if page.charset:
            body = page.body.decode(page.charset, errors="replace")
        article = extract_article(body, page.final_url)
    elif page.content_type == "text/plain":
        article = _plain_article(page)
    else:
        raise ExtractionError(f"{page.final_url}: {page.content_type} is not a web page")
    seen = [normalize_url(u) for u in (page.url, *page.redirects, page.final_url)]
    aliases = tuple(u for u in dict.fromkeys(seen) if u != article.canonical_url)
    return dataclasses.replace(article, aliases=aliases)


def _plain_article(page: FetchedPage) -> WebArticle:
    text = page.body.decode(page.charset or "utf-8", errors="replace").strip()
    if not text:
        raise ExtractionError(f"{page.final_url}: the page is empty")
    first = text.split("\n", 1)[0].strip()
    title = first if 0 < len(first) <= 120 else urlsplit(page.final_url).path.rsplit("/", 1)[-1]
    host = urlsplit(page.final_url).hostname or ""
    return WebArticle(normalize_url(page.final_url), title, "", host, "", text, page.final_url)
