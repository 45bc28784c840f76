import os
import subprocess
import sys
from pathlib import Path

import pytest
from pdfs import ALIAS_BOMB, deflate_bomb_pdf, encrypted_pdf, scanned_pdf, text_pdf

from ingest.documents import LoadError
from ingest.limits import Limits
from ingest.loaders import load_html, load_markdown, load_pdf, load_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def test_markdown_front_matter() -> None:
    doc = load_markdown((FIXTURES / "fdp-contract.md").read_bytes(), "corpus/fdp-contract.md")
    assert doc.title == "Test brief: the Federated Data Platform contract"
    assert (doc.publisher, doc.published, doc.kind) == ("nhsbot tests", "2023-11-21", "explainer")
    assert doc.url == "https://example.org/fdp-contract"
    assert not doc.text.startswith("---") and "£330 million" in doc.text


def test_text_title_from_first_line() -> None:
    doc = load_text((FIXTURES / "wales.txt").read_bytes(), "wales.txt")
    assert doc.title == "Health data in Wales"


def test_html_keeps_article_drops_clutter() -> None:
    doc = load_html((FIXTURES / "guardian-page.html").read_bytes(), "guardian-page.html")
    assert "statutory footing" in doc.text and "have regard to the guidance" in doc.text
    for clutter in ("cookies", "Subscribe now", "Celebrity chef", "Transfer window", "Sport"):
        assert clutter not in doc.text
    assert doc.title == "The guardian of patient data"
    assert doc.publisher == "Example Health News"
    assert doc.published == "2025-02-03"


def test_pdf_text_and_pages() -> None:
    data = text_pdf(["First page says hello. It is short.", "Second page."], title="A report")
    doc = load_pdf(data, "r.pdf")
    assert doc.title == "A report"
    assert [p for p, _ in doc.pages] == [1, 2]
    assert doc.text[doc.pages[1][1] :].startswith("Second page.")


@pytest.mark.parametrize(
    ("loader", "data", "reason"),
    [
        (load_text, b"", "empty"),
        (load_text, b"   \n\n ", "empty"),
        (load_markdown, b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        (load_text, "caf\xe9 latin-1".encode("latin-1"), "UTF-8"),
        (load_markdown, b"---\ntitle: [unclosed\n---\nbody", "front matter"),
        (load_markdown, b"---\ntitle: only front matter\n---\n", "no text"),
        (load_pdf, b"%PDF-1.4 this is not really a pdf", "PDF"),
        (load_pdf, scanned_pdf(), "scanned"),
        (load_html, b"<html><body><nav>Home</nav></body></html>", "no article text"),
    ],
)
def test_bad_files_give_specific_errors(loader, data: bytes, reason: str) -> None:  # noqa: ANN001
    with pytest.raises(LoadError, match=reason):
        loader(data, "bad-file")


# --- hostile input ---------------------------------------------------------------------------


def test_yaml_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """The loader runs in a child capped at 1 GB: the unguarded loader needed 18 GB."""
    bomb = tmp_path / "bomb.md"
    bomb.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB.encode()) < 400
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1_000_000_000, 1_000_000_000))\n"
        "from pathlib import Path\n"
        "from ingest.documents import LoadError\n"
        "from ingest.loaders import load_markdown\n"
        "try:\n"
        "    load_markdown(Path(sys.argv[1]).read_bytes(), 'bomb.md')\n"
        "except LoadError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "anchors or aliases" in done.stdout


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: &t Report\nkind: *t", "anchors or aliases"),
        ("base: &b {a: 1}\nmore:\n  <<: *b", "anchors or aliases"),
        ("title: " + "9" * 5000, "can't be read"),  # past Python's int digit limit
        ("published: 2024-13-45", "can't be read"),
        ("title: " + "[" * 3000 + "]" * 3000, "can't be read"),  # nests past the recursion limit
        ("title: x\nnotes: " + "y" * 20_000, "over the 16,384-byte limit"),
        ("title: !!python/object:os.system ls", "not valid YAML"),
        ("- just\n- a list", "mapping of fields"),
    ],
)
def test_hostile_front_matter_is_refused_with_a_reason(front: str, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load_markdown(f"---\n{front}\n---\nBody text.".encode(), "x.md")


def test_front_matter_fields_that_are_not_text_are_ignored() -> None:
    doc = load_markdown(b"---\ntitle: {a: 1}\nurl: [1, 2]\n---\n# Heading\nBody.", "x.md")
    assert (doc.title, doc.url) == ("Heading", "")


def test_a_pdfs_running_header_and_page_footer_are_left_out() -> None:
    pages = [
        f"Acme Health Briefing | Note 7. {body}. Page {n} of 3"
        for n, body in enumerate(["The fine was 180,000 pounds", "It was paid", "Nobody"], 1)
    ]
    doc = load_pdf(text_pdf(pages), "r.pdf")
    assert "Acme" not in doc.text and "Page" not in doc.text
    assert "The fine was 180,000 pounds." in doc.text and len(doc.pages) == 3
    single = load_pdf(text_pdf(["Acme Health Briefing | Note 7. One page only"]), "s.pdf")
    assert "Acme Health Briefing" in single.text  # one page has nothing to repeat


def test_encrypted_pdfs() -> None:
    for algorithm in ("AES-256", "AES-128", "RC4-128"):
        doc = load_pdf(
            encrypted_pdf(["Readable by anyone. Locked for editing."], algorithm=algorithm), "r.pdf"
        )
        assert doc.text.startswith("Readable by anyone.") and doc.title == "Locked report"
    with pytest.raises(LoadError, match="encrypted with a password"):
        load_pdf(encrypted_pdf(["Secret."], password="letmein"), "locked.pdf")


def test_pdf_deflate_bomb_is_refused_at_the_stream_limit() -> None:
    with pytest.raises(LoadError, match="20,000,000 bytes a stream"):
        load_pdf(deflate_bomb_pdf(60_000_000), "bomb.pdf")  # pypdf's own limit is 75 MB


def test_pdf_reader_memory_pages_and_time_are_bounded() -> None:
    bomb = deflate_bomb_pdf(60_000_000)
    roomy = Limits(pdf_stream_bytes=10**9, pdf_memory_bytes=150_000_000)
    with pytest.raises(LoadError, match="more than 150 MB of memory"):
        load_pdf(bomb, "bomb.pdf", roomy)  # the child process can't outgrow its limit
    with pytest.raises(LoadError, match="3 pages, over the 2 limit"):
        load_pdf(text_pdf(["One.", "Two.", "Three."]), "long.pdf", Limits(pdf_pages=2))
    with pytest.raises(LoadError, match="took longer than 0.01 s"):
        load_pdf(text_pdf(["One."]), "slow.pdf", Limits(pdf_seconds=0.01))
    with pytest.raises(LoadError, match="more than 10 characters"):
        load_pdf(text_pdf(["Twenty-odd characters."]), "wordy.pdf", Limits(text_chars=10))
