"""Redaction before a question is kept: each kind of detail, table-driven.

NHS numbers here are from 999 000 0000 – 999 999 9999: valid, but never issued."""

from __future__ import annotations

import pytest

from bot.redaction import is_nhs_number, nhs_check_digit, redact

CASES = [
    # NHS numbers: run together, 3-3-4 with spaces, hyphens, dots; the check digit decides
    ("my nhs number is 9997654323", "my nhs number is [NHS number]"),
    ("nhs no 999 765 4323 - who saw it?", "nhs no [NHS number] - who saw it?"),
    ("999-555-1217 and 999.876.5439", "[NHS number] and [NHS number]"),
    ("number:9992345675.", "number:[NHS number]."),
    ("(9993141593)", "([NHS number])"),
    # ten digits with a wrong check digit are still a personal number
    ("my nhs number is 9997654324", "my nhs number is [number]"),
    ("999 123 4560 is mine", "[number] is mine"),
    ("9 9 9 7 6 5 4 3 2 3", "[number]"),
    ("chi 0101901234", "chi [phone number]"),  # starts with 0: read as a phone, still gone
    # UK phone numbers
    ("call me on 07700 900123", "call me on [phone number]"),
    ("call me on 07700900123!", "call me on [phone number]!"),
    ("+44 7700 900123 is my mobile", "[phone number] is my mobile"),
    ("+447700900123", "[phone number]"),
    ("0044 7700 900 123", "[phone number]"),
    ("+44 (0)20 7946 0958", "[phone number]"),
    ("ring (020) 7946 0958 today", "ring [phone number] today"),
    ("my gp is on 0161 496 0000.", "my gp is on [phone number]."),
    ("01632 960123", "[phone number]"),
    ("07700-900-123", "[phone number]"),
    # emails
    ("email jo.bloggs+nhs@example.co.uk please", "email [email] please"),
    ("o'neil@example.org", "[email]"),
    # UK postcodes, any case, with or without the space
    ("i live at SW1A 1AA", "i live at [postcode]"),
    ("m1 1ae and EC1A1BB", "[postcode] and [postcode]"),
    ("my gp in B33 8TH", "my gp in [postcode]"),
    # Discord mentions and @names
    ("<@123456789012345678> says hi", "[mention] says hi"),
    ("<@!123456789012345678> and <@&987654321098765432>", "[mention] and [mention]"),
    ("see <#111222333444555666>", "see [channel]"),
    ("@everyone @here is this true?", "[mention] [mention] is this true?"),
    ("ask @dr.jones.", "ask [mention]."),
    # URLs: the query string and fragment go, the host and path stay
    ("https://example.org/page?nhs=9997654323&x=1", "https://example.org/page"),
    ("see https://example.org/a/b#patient-7. ok", "see https://example.org/a/b. ok"),
    ("(https://example.org/a?token=abc)", "(https://example.org/a)"),
    ("is https://example.org/page?", None),
    ("www.example.org/x?email=a@b.com", "www.example.org/x"),
    ("https://user:secret@example.org/a", "https://example.org/a"),
    ("https://example.org/records/9997654323", "https://example.org/records/[NHS number]"),
    # what must stay
    ("who got the £330 million fdp contract in 2023?", None),
    ("how many of the 55,000,000 patients opted out in 2021-2022?", None),
    ("does section 251 cover NHS 111 calls?", None),
    ("what did the ICO say about the 1.5m records?", None),
    ("is the fdp live in 2024 2025", None),
    ("can palantir see my gp record", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("9990000018", True),
        ("9997654323", True),
        ("9993141593", True),
        ("9990000019", False),
        ("9991234560", False),  # the check digit would be 10: no such NHS number
        ("999765432", False),
        ("99976543a3", False),
    ],
)
def test_is_nhs_number(digits: str, valid: bool) -> None:
    assert is_nhs_number(digits) is valid


def test_check_digit_eleven_is_zero() -> None:
    assert nhs_check_digit("999000006") == 9
    first = next(f"{n:09d}" for n in range(999000000, 999001000) if nhs_check_digit(f"{n}") == 0)
    assert is_nhs_number(first + "0")


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact("07700 900123, 9997654323, SW1A 1AA, a@b.org, <@1>, https://x.org/?q=1")
    assert redact(once) == once
