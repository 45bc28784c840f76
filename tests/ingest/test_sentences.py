import pytest

from ingest.sentences import sentence_spans, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("It cost £330m. In 2023 it began.", ["It cost £330m.", "In 2023 it began."]),
        ("Ask e.g. a GP. Then wait.", ["Ask e.g. a GP.", "Then wait."]),
        ('He said "no." Then left.', ['He said "no."', "Then left."]),
        ("## Heading\nBody text here.", ["## Heading", "Body text here."]),
        ("Para one.\n\nPara two", ["Para one.", "Para two"]),
        ("Intro:\n- first item\n- second item", ["Intro:", "- first item", "- second item"]),
        ("version 2.5 of the tool is out.", ["version 2.5 of the tool is out."]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_spans_are_exact_slices() -> None:
    text = "  First one.  Second one!\n\nThird?  "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one!", "Third?"]


def test_a_numbered_list_item_keeps_its_own_number() -> None:
    text = 'The titles:\n\n1. "Justify the purpose"\n2. "Use it only when necessary"\n3) Comply.'
    assert sentences(text) == [
        "The titles:",
        '1. "Justify the purpose"',
        '2. "Use it only when necessary"',
        "3) Comply.",
    ]
