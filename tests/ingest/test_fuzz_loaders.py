"""Fuzzing the loaders: random bytes, random Unicode, random YAML front matter and mangled
PDFs. Whatever goes in, a Document or our own LoadError comes out, never another exception.
A bounded number of examples, each with a deadline, so the run stays short."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pdfs import encrypted_pdf, text_pdf

from ingest.documents import Document, LoadError
from ingest.feeds import FeedError, parse_feed
from ingest.limits import Limits
from ingest.loaders import LOADERS, load_markdown, load_pdf
from ingest.pdf_worker import extract_pdf

# Small limits, so the limits' own paths are exercised too and no example is slow.
LIMITS = Limits(text_chars=20_000, front_matter_bytes=2_000, pdf_pages=20, pdf_seconds=20)
TEXT_LOADERS = sorted({ext: LOADERS[ext] for ext in (".md", ".txt", ".html")}.items())
FUZZ = settings(
    max_examples=200,
    deadline=dt.timedelta(seconds=5),
    database=None,  # no .hypothesis folder in the checkout
    derandomize=True,  # the same examples every run: CI passes or fails on the code, not luck
    suppress_health_check=[HealthCheck.too_slow],
)
SLOW_FUZZ = settings(FUZZ, max_examples=25, deadline=dt.timedelta(seconds=30))  # a child each

YAML_CHARS = string.ascii_letters[:8] + string.digits[:4] + " \t\n:-?[]{},&*!|>'\"#%@`~.\\"
HTML_BITS = [
    *("<p>", "</p>", "<div class='cookie'>", "</div>", "<article>", "<h1>", "</h1>", "<tr>"),
    *("<script>", "<!--", "-->", "<![CDATA[", "&amp;", "&#0;", "&#xD800;", "\x00", "word "),
    *("<meta charset='x-unknown'>", "<base href='javascript:x'>"),
]


def outcome(load: Callable[[bytes, str, Limits], Document], data: bytes) -> None:
    try:
        doc = load(data, "fuzzed", LIMITS)
    except LoadError as exc:
        assert str(exc).startswith("fuzzed: ")  # the reason names the file
        return
    assert isinstance(doc, Document) and doc.text.strip()
    assert len(doc.text) <= LIMITS.text_chars
    doc.text.encode("utf-8")  # storable: no lone surrogates


@FUZZ
@given(loader=st.sampled_from(TEXT_LOADERS), data=st.binary(max_size=4_000))
def test_random_bytes(loader: tuple[str, Callable], data: bytes) -> None:  # type: ignore[type-arg]
    outcome(loader[1], data)


@FUZZ
@given(loader=st.sampled_from(TEXT_LOADERS), text=st.text(max_size=3_000))
@example(loader=(".txt", LOADERS[".txt"]), text="©")  # found in CI: only page furniture
def test_random_unicode(loader: tuple[str, Callable], text: str) -> None:  # type: ignore[type-arg]
    outcome(loader[1], text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(parts=st.lists(st.sampled_from(HTML_BITS), max_size=200))
def test_random_html(parts: list[str]) -> None:
    outcome(LOADERS[".html"], "".join(parts).encode("utf-8", "surrogatepass"))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
fields = st.dictionaries(
    st.sampled_from(["title", "publisher", "published", "date", "url", "kind", "sources", "as_of"])
    | st.text(max_size=10),
    values,
    max_size=8,
)


@FUZZ
@given(meta=fields, body=st.text(max_size=300))
def test_random_yaml_front_matter(meta: dict[str, object], body: str) -> None:
    front = yaml.safe_dump(meta, allow_unicode=True)
    outcome(load_markdown, f"---\n{front}---\n{body}".encode("utf-8", "surrogatepass"))


@FUZZ
@given(front=st.text(alphabet=YAML_CHARS, max_size=400), body=st.text(max_size=100))
def test_random_yaml_syntax(front: str, body: str) -> None:
    outcome(load_markdown, f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass"))


yaml_scalars = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{2}:[0-9]{2})?\Z"),
    st.from_regex(r"\A[-+]?(0x[0-9a-f]{1,8}|0o[0-7]{1,8}|[0-9]{1,6}(_[0-9]{3}){0,2})\Z"),
    st.integers(min_value=1, max_value=5_000).map(lambda n: "9" * n),  # Python's digit limit
    st.from_regex(r"\A[-+]?(\.inf|\.nan|[0-9]*\.[0-9]+e[-+]?[0-9]{1,4})\Z"),
    st.sampled_from(["~", "null", "yes", "no", "on", "=", "<<", "!!binary aGk=", "!!set {a}"]),
)


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(["title", "published", "date", "as_of", "url"]), yaml_scalars),
        min_size=1,
        max_size=5,
    )
)
def test_random_yaml_scalars(pairs: list[tuple[str, str]]) -> None:
    """Dates that don't exist, numbers past Python's limits, odd tags: a reason, not a crash."""
    front = "\n".join(f"{key}: {value}" for key, value in pairs)
    outcome(load_markdown, f"---\n{front}\n---\nBody text.".encode())


REAL_PDFS = [
    text_pdf(["The first page of a real report. It has two sentences.", "Page two."], "Report"),
    encrypted_pdf(["An encrypted report anyone can open."]),
]


@st.composite
def mangled_pdfs(draw: st.DrawFn) -> bytes:
    """A real PDF with some bytes replaced, cut short, or random bytes after a PDF header."""
    if draw(st.booleans()):
        return b"%PDF-1.4\n" + draw(st.binary(max_size=2_000))
    data = bytearray(draw(st.sampled_from(REAL_PDFS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at : at + 1] = draw(st.binary(min_size=0, max_size=4))
    return bytes(data[: draw(st.integers(1, len(data)))])


@FUZZ
@given(data=mangled_pdfs())
def test_mangled_pdfs_in_process(data: bytes) -> None:
    found = extract_pdf(data, pages=20, stream_bytes=1_000_000, text_chars=20_000)
    assert set(found) in ({"refused"}, {"pages", "title", "author", "created"})


@SLOW_FUZZ
@given(data=mangled_pdfs())
def test_mangled_pdfs_through_the_loader(data: bytes) -> None:
    outcome(load_pdf, data)


@FUZZ
@given(
    data=st.binary(max_size=2_000)
    | st.text(alphabet="<>/?!&;:= rssfeditmlnk\"'x", max_size=400).map(str.encode)
)
def test_random_feeds(data: bytes) -> None:
    try:
        parse_feed(data, "https://news.example/feed")
    except FeedError:
        pass
