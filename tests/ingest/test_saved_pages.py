"""Pages saved as text: header lines become details, furniture lines go, article text stays."""

from __future__ import annotations

from ingest.loaders import load_text
from ingest.saved_pages import read_saved_page

SAVED = """Title: Trust shares maternity records with researchers
URL Source: https://news.example/health/2026/05/maternity
Published Time: 2026-05-04T09:00:00Z

Skip to main content
Home > News > Health
[Cookie notice] Accept all cookies | Manage cookies
COURIER News | Health | Politics | Money | Culture | Puzzles Subscribe from £1 a week Sign in

Trust shares maternity records with researchers

The trust said records would be pseudonymised before they leave its systems.
Its options: share the records now | keep them in the trust | ask the patients first | wait a year.
Copyright is one of the issues the trust's lawyers looked at before agreeing the project, it said.
Share this article
Related stories
Sign up to our newsletter
© 2026 News Example Ltd. All rights reserved.
"""


def test_header_lines_become_the_documents_details() -> None:
    doc = load_text(SAVED.encode(), "maternity.txt")
    assert doc.title == "Trust shares maternity records with researchers"
    assert doc.url == "https://news.example/health/2026/05/maternity"
    assert doc.published == "2026-05-04"
    assert "Title:" not in doc.text and "URL Source" not in doc.text


def test_furniture_goes_and_article_text_stays() -> None:
    text = read_saved_page(SAVED).text
    for furniture in ("Skip to main content", "Home > News", "Accept all cookies", "Share this",
                      "Related stories", "newsletter", "© 2026", "Politics"):  # fmt: skip
        assert furniture not in text
    assert "pseudonymised before they leave" in text
    assert "Copyright is one of the issues" in text  # a sentence, not a footer
    assert "keep them in the trust" in text  # bars between long items: not a menu


def test_plain_text_without_a_header_is_untouched() -> None:
    text = "Opt-out figures\n\nThe national data opt-out began in 2018."
    page = read_saved_page(text)
    assert page.text == text and page.details == {}


def test_adverts_go_with_their_markers() -> None:
    text = (
        "Title: Reprimand for health board\n\n"
        "The board was reprimanded in 2023.\n\n"
        "ADVERTISEMENT\nHighland holiday cottages - book now for summer and save 10% >\n"
        "END OF ADVERTISEMENT\n"
        "It must send the regulator an update in June.\n\n"
        "Advertisement\nSwitch your broadband today - no price rises mid-contract.\n\n"
        "Advertisement\n\n"
        "What happens next\nThe board has added the recommendations to its plan.\n"
    )
    page = read_saved_page(text).text
    assert "cottages" not in page and "broadband" not in page
    assert "ADVERTISEMENT" not in page.upper()
    for kept in ("reprimanded in 2023", "update in June", "What happens next", "to its plan"):
        assert kept in page
