"""Formatting for Discord's limits: table-driven checks of the pure functions."""

from __future__ import annotations

import re

import pytest
from discord_limits import message_problems

from bot.answering.answer import Answer, Citation
from bot.discordbot.format import (
    answer_messages,
    citation_field,
    cited_numbers,
    passage_embeds,
    split_text,
    truncate,
)


def cite(n: int, quote: str = "A quoted sentence.", **kw: str) -> Citation:
    values = {"title": f"Document {n}", "publisher": "NHS England", "published": "2024-01-02",
              "source": f"corpus/doc{n}.md", "url": f"https://example.org/{n}"} | kw  # fmt: skip
    return Citation(n, quote=quote, chunk_id=f"abc{n:03d}-def-{n}", score=1.0, **values)


def words(text: str) -> list[str]:
    return text.split()


SENTENCE = "The national data opt-out applies only in England and not to direct care. [1]"
LONG_WORD = "x" * 4500
SPLIT_CASES = [
    ("empty", "", 100),
    ("fits", "Short answer. [1]", 100),
    ("paragraphs", "\n\n".join(["Para one is here. [1]"] * 40), 100),
    ("sentences", " ".join([SENTENCE] * 200), 500),
    ("one huge sentence", " ".join(["word"] * 3000) + ". [2]", 1000),
    ("a word longer than the limit", f"Before {LONG_WORD} after.", 2000),
    ("markers after quotes", " ".join(["He said “yes.” [3] Then more."] * 100), 120),
    ("unicode", "Ünïcödé sentences — with dashes… [1] " * 300, 333),
]


@pytest.mark.parametrize(("name", "text", "limit"), SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_split_text_keeps_every_word_within_the_limit(name: str, text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    if LONG_WORD in text:  # only a word longer than the limit itself may be cut
        assert "".join(words(" ".join(parts))) == "".join(words(text))
    else:
        assert words(" ".join(parts)) == words(text)  # nothing dropped, nothing cut mid-word
    for part in parts:
        assert not re.match(r"^\[\d+\]", part), "a marker was separated from its sentence"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Para one. [1]\n\nPara two. [2]", 15, ["Para one. [1]", "Para two. [2]"]),
        ("One. [1] Two. [2] Three.", 9, ["One. [1]", "Two. [2]", "Three."]),
        ("Alpha beta gamma delta", 11, ["Alpha beta", "gamma delta"]),
        ("A.\n\nB.", 100, ["A.\n\nB."]),
    ],
)
def test_split_points(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("alpha beta gamma", 12, "alpha beta…"),
        ("abcdefghijkl", 5, "abcd…"),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit


@pytest.mark.parametrize(
    ("text", "expected"),
    [("A [1] b [2] c [1]", [1, 2]), ("none", []), ("[10] and [3]", [10, 3])],
)
def test_cited_numbers(text: str, expected: list[int]) -> None:
    assert cited_numbers(text) == expected


@pytest.mark.parametrize("budget", [1280, 600, 250, 100])
def test_citation_field_fits_its_budget(budget: int) -> None:
    c = cite(1, quote="q " * 2000, title="T" * 400, url="https://example.org/" + "p" * 500)
    name, value = citation_field(c, budget)
    assert len(name) <= 256 and len(value) <= 1024 and name.startswith("[1]")
    assert len(name) + len(value) <= max(budget, 250)


def answer_of(text: str, citations: list[Citation], refused: bool = False) -> Answer:
    return Answer("q", text, refused, tuple(citations))


MANY = [cite(n, quote="Quote " * 150) for n in range(1, 41)]
ANSWER_CASES = [
    ("short", answer_of("Yes. [1]", [cite(1)])),
    ("refusal lists nearest", answer_of("My sources don't cover that.", [cite(1), cite(2)], True)),
    (
        "long, few citations",
        answer_of(
            " ".join([SENTENCE.replace("[1]", "[1] [2]")] * 300),
            [cite(1, "q " * 600), cite(2, "r " * 600)],
        ),
    ),  # fmt: skip
    ("forty citations", answer_of(" ".join(f"Fact {n}. [{n}]" for n in range(1, 41)), MANY)),
    ("huge word", answer_of(f"Look {LONG_WORD} here. [1]", [cite(1)])),
    ("uncited citation", answer_of("Text without markers.", [cite(1), cite(2)])),
    ("mentions", answer_of("@everyone <@&123> said so. [1]", [cite(1, "@everyone <@&1>")])),
]


@pytest.mark.parametrize(("name", "answer"), ANSWER_CASES, ids=[c[0] for c in ANSWER_CASES])
def test_answer_messages_respect_limits_and_keep_citations(name: str, answer: Answer) -> None:
    messages = answer_messages(answer, "a1b2c3", title="Q" * 300)
    shown_fields: list[str] = []
    texts: list[str] = []
    for embeds in messages:
        payload = {"embeds": [e.to_dict() for e in embeds]}
        assert message_problems(payload) == []
        names = [f["name"] for e in payload["embeds"] for f in e.get("fields", [])]
        shown_fields += names
        for e in payload["embeds"]:
            if e.get("description"):
                texts.append(e["description"])
                # every marker in this text has its source in this message or an earlier one
                for n in cited_numbers(e["description"]):
                    assert any(f.startswith(f"[{n}] ") for f in shown_fields), n
    assert "".join(words(" ".join(texts))) == "".join(words(answer.answer))
    assert len(shown_fields) == len(set(shown_fields))  # each source listed once
    assert {int(f[1:].split("]")[0]) for f in shown_fields} == {c.n for c in answer.citations}
    footer = messages[-1][-1].footer.text or ""
    assert "Answers come only from the listed sources." in footer and "a1b2c3" in footer
    assert len(messages[0][0].title or "") <= 256


def test_passage_embeds_split_long_passages() -> None:
    embeds = passage_embeds("Title", "Sentence here. " * 700, [("Publisher", "NHS"), ("Link", "")])
    assert len(embeds) == 3
    assert all(message_problems({"embeds": [e.to_dict()]}) == [] for e in embeds)
    assert [f.name for f in embeds[-1].fields] == ["Publisher"]  # empty details left out
