"""Parsing sources.toml: feeds, single URLs and folders, with errors that name the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sources_file import (
    FeedSource,
    FolderSource,
    SourcesError,
    UrlSource,
    load_sources,
    parse_sources,
)

EXAMPLE = """
feeds = ["https://www.digitalhealth.net/feed/", "https://www.digitalhealth.net/feed/?utm_source=x"]

[[urls]]
url = "https://www.england.nhs.uk/digitaltechnology/?utm_campaign=a#top"
name = "NHS England digital"

[[urls]]
url = "https://example.com/a"

[[folders]]
path = "corpus"

[[folders]]
path = "../shared/notes"
name = "Notes"
"""


def test_example_file_is_parsed_and_deduplicated(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "sources.toml"
    path.parent.mkdir()
    path.write_text(EXAMPLE)
    sources = load_sources(path)
    assert sources.feeds == (FeedSource("https://www.digitalhealth.net/feed"),)
    assert sources.urls == (
        UrlSource("https://www.england.nhs.uk/digitaltechnology", "NHS England digital"),
        UrlSource("https://example.com/a"),
    )
    assert sources.folders == (
        FolderSource(tmp_path / "conf" / "corpus"),
        FolderSource(tmp_path / "shared" / "notes", "Notes"),
    )


def test_feed_tables_take_max_items(tmp_path: Path) -> None:
    text = '[[feeds]]\nurl = "https://a.example/rss"\nmax_items = 5\nname = "A"\n'
    assert parse_sources(text, base_dir=tmp_path).feeds == (
        FeedSource("https://a.example/rss", "A", 5),
    )


def test_empty_file_lists_nothing(tmp_path: Path) -> None:
    assert not parse_sources("", base_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("feeds = [", "not valid TOML"),
        ('feed = ["https://a.example"]', "unknown section 'feed'"),
        ('feeds = "https://a.example"', "feeds must be a list"),
        ('feeds = ["ftp://a.example/x"]', r"feeds\[1\]: 'ftp://a.example/x' is not an http"),
        ('urls = ["https://ok.example", "file:///etc/passwd"]', r"urls\[2\]"),
        ('urls = ["http://"]', r"urls\[1\]"),
        ('[[urls]]\nurl = "https://a.example"\nttile = "x"', "unknown key 'ttile'"),
        ('[[urls]]\nname = "no url"', "needs a url"),
        ("folders = [3]", "expected a string or a table"),
        ('[[feeds]]\nurl = "https://a.example"\nmax_items = 0', "max_items"),
        ('[[feeds]]\nurl = "https://a.example"\nmax_items = true', "max_items"),
    ],
)
def test_mistakes_are_reported_with_their_place(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(SourcesError, match=words):
        parse_sources(text, base_dir=tmp_path)


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="NHSBOT_SOURCES_FILE"):
        load_sources(tmp_path / "sources.toml")
