"""Questions asking for a way to get in touch: a phone number, an email address, a web
address, the hours a line is open. Such a question is answered only by a sentence that holds
one: "is there an email address for complaints?" is not answered by "you can complain using
the online form", nor "what hours is the helpline open?" by the helpline's number."""

from __future__ import annotations

import re

# The thing asked for, when the question asks for it ("what's the email for…", "is there an
# email address i can…", "the number to ring"), not when it mentions it ("do they keep my
# email").
_ASKING = (
    r"(?:what(?:'s|s| is| are)|is there|are there|give me|need|got|know|find)\s+(?:\w+\s+){0,4}?"
)
_FOR = r"\s+(?:for|to|of|i can|you can|can i|do i)\b"
_NOUNS = {
    "email": r"e-?mail(?: address)?",
    "phone": r"(?:phone|telephone|helpline|contact) ?(?:number|no\.?|line)|helpline"
    r"|(?<!nhs )number(?!\s+of\b)",  # not "the number of trusts", not "my NHS number"
    "web": r"web ?site|web address|url|web ?page|link",
}
_ASKS = {
    # First: "what hours is the helpline open?" asks for hours, not the helpline's number.
    "hours": re.compile(
        r"\bopening (?:hours|times)\b|\bwhat (?:hours|times?|days)\b[^?]*\b(?:open|closed?)\b"
        r"|\bwhen (?:is|are)\b[^?]*\bopen\b|\bwhat time does\b[^?]*\b(?:open|close)\b",
        re.I,
    ),
    **{
        kind: re.compile(rf"\b{_ASKING}(?:{noun})\b|\b(?:{noun}){_FOR}", re.I)
        for kind, noun in _NOUNS.items()
    },
}
_HOLDS = {
    "hours": re.compile(
        r"\b\d{1,2}(?:[.:]\d\d)?\s?(?:am|pm)\b|\b\d{1,2}[.:]\d\d\b|\b24 hours\b"
        r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\bweekdays?\b|\bround the clock\b",
        re.I,
    ),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "phone": re.compile(r"(?<!\d)0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?!\d)|\b(?:111|119|999)\b"),
    "web": re.compile(
        r"https?://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|org|com|net|scot|wales)\b", re.I
    ),
}
# What the missing thing is called in a refusal.
WORDS = {
    "hours": "the opening hours",
    "email": "an email address",
    "phone": "a phone number",
    "web": "a web address",
}


def contact_asked(clause: str) -> str | None:
    """Which way of getting in touch a question asks for ("email", "phone", "web", "hours"),
    or None."""
    return next((kind for kind, pattern in _ASKS.items() if pattern.search(clause)), None)


def holds_contact(kind: str, sentence: str) -> bool:
    """Whether a sentence holds a contact of that kind."""
    return _HOLDS[kind].search(sentence) is not None
