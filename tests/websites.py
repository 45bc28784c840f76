"""A small real web site for tests, served on 127.0.0.1 from a thread.

Articles come wrapped in menus, a cookie banner, a paywall prompt and "related stories"; there
is a PDF, RSS and Atom feeds tests can change between syncs (with ETag / Last-Modified),
redirects, an endless body, a slow body, a gzip bomb and a wrong content type.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pdfs import text_pdf

CLUTTER_TOP = """
<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/jobs">Jobs board</a></li><li><a href="/events">Events and webinars</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
Accept all cookies or manage your cookie preferences.<button>Accept cookies</button></div>
"""
CLUTTER_BOTTOM = """
<div class="paywall-prompt">Subscribe to keep reading. Sign in or start your free trial
today to unlock unlimited premium journalism.</div>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/articles/other-1">Trust fined over parking charges</a></li>
<li><a href="/articles/other-2">Ten best hospital canteens ranked</a></li></ul></aside>
<footer><p>Copyright Health News Ltd. All rights reserved.</p></footer>
"""


def article_html(slug: str, title: str, paragraphs: list[str], *, canonical: str = "") -> str:
    """An article page with clutter around the text, as real news sites serve them."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Health News</title>{link}
<meta property="og:site_name" content="Health News">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2026-11-02T09:00:00Z">
</head><body>{CLUTTER_TOP}
<main><article><h1>{title}</h1><p class="byline">By Jane Reporter</p>
{body}</article></main>{CLUTTER_BOTTOM}</body></html>"""


GP_PARAGRAPHS = [
    "NHS England has confirmed that the new federated data platform will hold records from "
    "every acute trust by the end of next year, according to board papers published today.",
    "Access to identifiable patient data on the platform is limited to staff with a "
    "legitimate relationship with the patient, and every query is written to an audit log "
    "that the trust's Caldicott guardian reviews each month.",
    "Researchers may only use pseudonymised extracts approved by the data access request "
    "service, and commercial companies cannot buy the data under the current contract.",
]


OPT_OUT_PARAGRAPHS = [
    "The national data opt-out lets patients stop their confidential information being used "
    "for research and planning, and it applies across every health and care organisation.",
    "From next spring, GP practices must apply the opt-out before sharing records with the "
    "new platform, NHS England said, after a consultation with the British Medical Association.",
    "Patients who have already opted out do not need to do anything, because their existing "
    "choice is carried over automatically to the new system.",
]


def inline_clutter_html(title: str, paragraphs: list[str]) -> str:
    """An article whose clutter sits inside the <article> element, between paragraphs."""
    first, second, third = (f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:site_name" content="Digital Health Wire"></head><body class="has-paywall">
<div class="Cookie-Notice" id="consent">This site uses cookies. By continuing you agree to our
cookie policy.</div><article><h1>{title}</h1>{first}
<div class="newsletter-signup"><p>Sign up to our daily newsletter for the latest health IT news
delivered to your inbox.</p></div>{second}
<div id="paywall-box"><p>You have read 3 of 3 free articles this month. Subscribe now for
unlimited access to all our journalism.</p></div>
<aside class="related-stories"><h2>Related stories</h2><ul>
<li><a href="/x">Hospital car parking fees rise again</a></li>
<li><a href="/y">Trust appoints new chief executive</a></li></ul></aside>{third}
</article></body></html>"""


@dataclass(frozen=True)
class FeedEntry:
    """A feed item linking to `link` (relative to the site, tracking parameters allowed)."""

    link: str
    title: str
    date: str  # RFC 3339, e.g. 2026-11-02T09:00:00Z


def _rfc822(date: str) -> str:
    import datetime as dt
    from email.utils import format_datetime

    return format_datetime(dt.datetime.fromisoformat(date.replace("Z", "+00:00")))


def rss_feed(base: str, items: list[FeedEntry]) -> str:
    entries = "".join(
        f"<item><title>{e.title}</title><link>{base}{e.link}</link>"
        f"<guid>{base}{e.link.split('?')[0]}</guid><pubDate>{_rfc822(e.date)}</pubDate></item>"
        for e in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Health News</title><link>{base}/</link><description>News</description>{entries}
</channel></rss>"""


def atom_feed(base: str, items: list[FeedEntry]) -> str:
    entries = "".join(
        f'<entry><title>{e.title}</title><link rel="alternate" href="{e.link}"/>'
        f"<id>tag:health.example,2026:{e.link}</id><updated>{e.date}</updated></entry>"
        for e in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/"><title>Data Wire</title>
<id>tag:health.example,2026:feed</id><updated>2026-11-02T09:00:00Z</updated>{entries}</feed>"""


@dataclass
class Route:
    """One resource: a fixed body, or a generator for streaming bodies."""

    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterator[bytes]] | None = None
    validators: bool = False  # send an ETag and honour If-None-Match
    last_modified: str = ""  # send Last-Modified and honour If-Modified-Since


@dataclass
class Site:
    """The routes a test server serves, changeable by tests, and the requests it saw."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""
    port: int = 0

    def set(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def add(self, path: str, body: bytes, content_type: str, *, validators: bool = False) -> None:
        """Serve `body` at `path` (for tests, which do not import this module)."""
        self.routes[path] = Route(content_type=content_type, body=body, validators=validators)

    def article(self, path: str, title: str, paragraphs: list[str]) -> None:
        """Publish a cluttered article page at `path` that declares itself canonical."""
        html = article_html(path, title, paragraphs, canonical=f"{self.base}{path}")
        self.routes[path] = Route(body=html.encode())

    def rss(self, path: str, items: list[FeedEntry]) -> None:
        """Publish an RSS 2.0 feed at `path` (with an ETag) listing `items`."""
        self.routes[path] = Route(
            content_type="application/rss+xml; charset=utf-8",
            body=rss_feed(self.base, items).encode(),
            validators=True,
        )

    def atom(self, path: str, items: list[FeedEntry], last_modified: str) -> None:
        """Publish an Atom feed at `path` (with Last-Modified only) listing `items`."""
        self.routes[path] = Route(
            content_type="application/atom+xml",
            body=atom_feed(self.base, items).encode(),
            last_modified=last_modified,
        )

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?", 1)[0]
        self.site.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.site.routes.get(path) or Route(404, "text/plain", b"not found")
        if route.stream is not None:
            self._stream(route)
            return
        headers = dict(route.headers)
        not_modified = False
        if route.validators:
            headers["ETag"] = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
            not_modified = self.headers.get("If-None-Match") == headers["ETag"]
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
            not_modified = self.headers.get("If-Modified-Since") == route.last_modified
        if not_modified:
            self._send(304, "", b"", headers)
            return
        self._send(route.status, route.content_type, route.body, headers)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value.replace("{port}", str(self.site.port)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, route: Route) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        for key, value in route.headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")  # body ends when the connection does
        self.end_headers()
        self.close_connection = True
        assert route.stream is not None
        try:
            for part in route.stream():
                self.wfile.write(part)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should


def endless() -> Iterator[bytes]:
    chunk = b"<p>" + b"endless " * 8000 + b"</p>\n"
    for _ in range(20_000):  # ~1.3 GB: "endless" for any sane cap, finite if a test breaks
        yield chunk


def slow() -> Iterator[bytes]:
    for _ in range(600):
        yield b"<p>drip</p>\n"
        time.sleep(0.1)


@functools.cache
def gzip_bomb() -> bytes:
    """50 MB of zeros in ~50 kB of gzip."""
    return gzip.compress(b"\0" * 50_000_000, compresslevel=9)


@contextlib.contextmanager
def trickle_proxy(target_port: int, delay: float) -> Iterator[int]:
    """A TCP proxy on 127.0.0.1 (yields its port) that passes requests to `target_port` at
    once and sends every reply back one byte per `delay` seconds: the status line, headers and
    a TLS handshake alike. Each read is quick; the whole is not."""
    listener = socket.create_server(("127.0.0.1", 0))

    def pump(source: socket.socket, sink: socket.socket, pause: float) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                for i in range(len(data)) if pause else ():
                    sink.sendall(data[i : i + 1])
                    time.sleep(pause)
                if not pause:
                    sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", target_port))
                for args in ((client, upstream, 0.0), (upstream, client, delay)):
                    threading.Thread(target=pump, args=args, daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        listener.close()


def serve(site: Site, context: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def default_routes(site: Site) -> None:
    """The standing resources every test can use."""
    _article_routes(site)
    _edge_routes(site)


def _article_routes(site: Site) -> None:
    base = site.base
    page = article_html(
        "gp-data", "Federated data platform to hold every trust's records", GP_PARAGRAPHS,
        canonical=f"{base}/articles/gp-data",
    )  # fmt: skip
    site.set("/articles/gp-data", Route(body=page.encode()))
    opt_out = inline_clutter_html("Opt-out rules tightened", OPT_OUT_PARAGRAPHS)
    site.set("/articles/opt-out", Route(body=opt_out.encode()))
    budget = article_html("budget", "Data budget doubled", GP_PARAGRAPHS[::-1])
    site.set("/news/budget", Route(body=budget.encode()))
    site.set("/news/budget/amp", Route(body=budget.replace("<html", "<html amp").encode()))
    impostor = article_html("x", "Copied story", GP_PARAGRAPHS[1:],
                            canonical="https://www.bbc.co.uk/news/health-1")  # fmt: skip
    site.set("/articles/impostor", Route(body=impostor.encode()))
    site.set("/empty", Route(body=b"<html><body><nav><a href='/'>Home</a></nav></body></html>"))
    amp = page.replace("<html", "<html amp")
    site.set("/amp/articles/gp-data", Route(body=amp.encode()))
    site.set("/go/gp-data", Route(301, headers={"Location": "/articles/gp-data?utm_source=rss"}))
    small = gzip.compress(page.encode())
    site.set("/gzipped", Route(body=small, headers={"Content-Encoding": "gzip"}))


def _edge_routes(site: Site) -> None:
    """Odd content, hostile bodies and redirects ({port} is filled in when served)."""
    site.set("/plain.txt", Route(content_type="text/plain", body=b"Plain notice\n\nSome text."))
    pdf = text_pdf(["Data access register for the federated data platform."], title="Register")
    site.set("/report.pdf", Route(content_type="application/pdf", body=pdf))
    site.set("/image.png", Route(content_type="image/png", body=b"\x89PNG\r\n\x1a\n"))
    site.set("/no-type", Route(content_type="", body=b"<p>what am I</p>"))
    site.set("/missing", Route(404, "text/plain", b"gone"))
    site.set("/endless", Route(stream=endless))
    site.set("/bomb", Route(body=gzip_bomb(), headers={"Content-Encoding": "gzip"}))
    site.set("/slow", Route(stream=slow))
    site.set("/to-loopback", Route(302, headers={"Location": "http://127.0.0.1:{port}/plain.txt"}))
    site.set("/to-metadata", Route(302, headers={"Location": "http://169.254.169.254/latest/"}))
    to_intranet = {"Location": "http://intranet.example:{port}/plain.txt"}
    site.set("/to-intranet", Route(302, headers=to_intranet))
    site.set("/to-ftp", Route(302, headers={"Location": "ftp://news.example/file"}))
    site.set("/loop", Route(302, headers={"Location": "/loop"}))
    for n in range(1, 8):
        site.set(f"/chain/{n}", Route(302, headers={"Location": f"/chain/{n + 1}"}))
    site.set("/chain/8", Route(content_type="text/plain", body=b"end of the chain"))
