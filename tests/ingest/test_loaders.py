from pathlib import Path

import pytest
from pdfs import scanned_pdf, text_pdf

from ingest.documents import LoadError
from ingest.loaders import load_html, load_markdown, load_pdf, load_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"


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
