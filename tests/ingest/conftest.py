"""Fixtures for the fetch, web and feed tests: the loopback web site (tests/websites.py),
fetchers, a fake DNS and a TLS server.

`dns` lets a test use names like `news.example` that "resolve" to public or private addresses
while every connection really goes to the test site on 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from websites import FeedEntry, Route, Site, default_routes, serve  # tests/ on sys.path

from ingest.fetch import SafeFetcher
from ingest.sync import Ingestor
from vectorstore.embeddings import SentenceTransformerEmbedder
from vectorstore.store import ChromaStore, embedded_client

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


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The test web site on http://127.0.0.1:PORT (routes reset for each test by `web`)."""
    site = Site()
    server = serve(site)
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
def entry() -> type[FeedEntry]:
    """The FeedEntry class, for tests (which do not import this module)."""
    return FeedEntry


@pytest.fixture
def store(tmp_path: Path) -> ChromaStore:
    """An empty embedded store of the test's own (no bot pipeline involved)."""
    return ChromaStore(embedded_client(tmp_path / "chroma"), "ingest-test")


@pytest.fixture
def ingestor(store: ChromaStore, embedder: SentenceTransformerEmbedder) -> Ingestor:
    """An Ingestor on `store` with the real model and the default limits."""
    return Ingestor(store, embedder)


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
    public_ip: str = PUBLIC_IP

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
    server = serve(site, context)
    site.base = f"https://news.example:{site.port}"
    yield TLSSite(site, names)
    server.shutdown()
