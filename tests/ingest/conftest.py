"""A real web site on 127.0.0.1 for the fetch, web and feed tests (served from a thread).

Articles come wrapped in menus, a cookie banner, a paywall prompt and "related stories"; there
is a PDF, RSS and Atom feeds the tests can change between syncs (with ETag / Last-Modified),
redirects, an endless body, a slow body, a gzip bomb and a wrong content type. `public_dns`
lets a test use names like `news.example` that "resolve" to public or private addresses while
every connection really goes to this server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.fetch import SafeFetcher

PUBLIC_IP = "93.184.216.34"  # a public address; tests never really dial it
NAMES = {
    "news.example": [PUBLIC_IP],
    "other.example": [PUBLIC_IP],
    "intranet.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC_IP, "192.168.1.20"],
    "cgnat.example": ["100.64.0.7"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "ula.example": ["fd12:3456::1"],
}

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


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with a real text layer (pypdf reads it back)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@dataclass
class Route:
    """One resource: a fixed body, or a generator for streaming bodies."""

    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterator[bytes]] | None = None
    validators: bool = False  # send ETag / Last-Modified and honour conditional GETs


@dataclass
class Site:
    """The routes a test server serves, changeable by tests, and the requests it saw."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""
    port: int = 0

    def set(self, path: str, route: Route) -> None:
        self.routes[path] = route

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
        if route.validators:
            headers["ETag"] = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
            headers.setdefault("Last-Modified", "Mon, 02 Nov 2026 09:00:00 GMT")
            if self.headers.get("If-None-Match") == headers["ETag"]:
                self._send(304, "", b"", headers)
                return
        self._send(route.status, route.content_type, route.body, headers)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value.replace("{base}", self.site.base))
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


def _serve(site: Site, context: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
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
    base = site.base
    page = article_html(
        "gp-data", "Federated data platform to hold every trust's records", GP_PARAGRAPHS,
        canonical=f"{base}/articles/gp-data",
    )  # fmt: skip
    site.set("/articles/gp-data", Route(body=page.encode()))
    amp = page.replace("<html", "<html amp")
    site.set("/amp/articles/gp-data", Route(body=amp.encode()))
    site.set("/go/gp-data", Route(301, headers={"Location": "/articles/gp-data?utm_source=rss"}))
    site.set("/plain.txt", Route(content_type="text/plain", body=b"Plain notice\n\nSome text."))
    pdf = make_pdf("Data access register for the federated data platform")
    site.set("/report.pdf", Route(content_type="application/pdf", body=pdf))
    site.set("/image.png", Route(content_type="image/png", body=b"\x89PNG\r\n\x1a\n"))
    site.set("/no-type", Route(content_type="", body=b"<p>what am I</p>"))
    site.set("/missing", Route(404, "text/plain", b"gone"))
    site.set("/endless", Route(stream=endless))
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    site.set("/bomb", Route(body=bomb, headers={"Content-Encoding": "gzip"}))
    small = gzip.compress(page.encode())
    site.set("/gzipped", Route(body=small, headers={"Content-Encoding": "gzip"}))
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
    for route in site.routes.values():
        for key, value in route.headers.items():
            route.headers[key] = value.replace("{port}", str(site.port))


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The test web site on http://127.0.0.1:PORT (routes reset for each test by `web`)."""
    site = Site()
    server = _serve(site)
    site.base = f"http://127.0.0.1:{site.port}"
    yield site
    server.shutdown()


@pytest.fixture
def web(site: Site) -> Site:
    """The site with its standing routes and an empty request log."""
    site.routes.clear()
    site.requests.clear()
    default_routes(site)
    return site


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    """A fetcher allowed to reach loopback (the test site), with short limits."""
    with SafeFetcher(allow_loopback=True, max_bytes=2_000_000, timeout_s=5.0) as fetcher:
        yield fetcher


@dataclass
class FakeDNS:
    """Maps test names to addresses; counts lookups; dials every vetted public address to
    the test site on 127.0.0.1, so no traffic ever leaves the machine."""

    names: dict[str, list[str]]
    lookups: list[str] = field(default_factory=list)
    dialed: list[tuple[str, int]] = field(default_factory=list)

    def resolve(self, host: str) -> list[str]:
        self.lookups.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[host]

    def dial(self, ip: str, port: int, timeout: float | None) -> socket.socket:
        assert ip == PUBLIC_IP, f"only vetted public addresses are dialed, not {ip}"
        self.dialed.append((ip, port))
        return socket.create_connection(("127.0.0.1", port), timeout)


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS({name: list(ips) for name, ips in NAMES.items()})


@pytest.fixture
def public_fetcher(dns: FakeDNS) -> Iterator[SafeFetcher]:
    """A production-like fetcher (loopback NOT allowed) whose DNS is `dns`."""
    with SafeFetcher(resolver=dns.resolve, dialer=dns.dial, timeout_s=5.0) as fetcher:
        yield fetcher


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A throwaway CA and a certificate for news.example it signed (made with openssl)."""
    folder = tmp_path_factory.mktemp("tls")
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, csr = folder / "cert.pem", folder / "cert.key", folder / "cert.csr"
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=DNS:news.example\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out",
        str(ca), "-days", "2", "-subj", "/CN=nhsbot test CA")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", "/CN=news.example")  # fmt: skip
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
    return TLSFiles(ca, cert, key)


@dataclass
class TLSSite:
    site: Site
    server_names: list[str]


@pytest.fixture(scope="session")
def tls_site(tls_files: TLSFiles) -> Iterator[TLSSite]:
    """An HTTPS server on 127.0.0.1 with the news.example certificate; records SNI names."""
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.cert, tls_files.key)
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")  # type: ignore[assignment,misc]
    site = Site()
    site.set("/secure", Route(content_type="text/plain", body=b"served over TLS"))
    server = _serve(site, context)
    site.base = f"https://news.example:{site.port}"
    yield TLSSite(site, names)
    server.shutdown()
