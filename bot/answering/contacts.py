"""Questions asking for a way to get in touch: a phone number, an email address, a web
address. Such a question is answered only by a sentence that holds one: "is there an email
address for complaints?" is not answered by "you can complain using the online form"."""

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
    kind: re.compile(rf"\b{_ASKING}(?:{noun})\b|\b(?:{noun}){_FOR}", re.I)
    for kind, noun in _NOUNS.items()
}
_HOLDS = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "phone": re.compile(r"(?<!\d)0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?!\d)|\b(?:111|119|999)\b"),
    "web": re.compile(
        r"https?://|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|org|com|net|scot|wales)\b", re.I
    ),
}
# What the missing thing is called in a refusal.
WORDS = {"email": "an email address", "phone": "a phone number", "web": "a web address"}


def contact_asked(clause: str) -> str | None:
    """Which way of getting in touch a question asks for ("email", "phone", "web"), or None."""
    return next((kind for kind, pattern in _ASKS.items() if pattern.search(clause)), None)


def holds_contact(kind: str, sentence: str) -> bool:
    """Whether a sentence holds a contact of that kind."""
    return _HOLDS[kind].search(sentence) is not None
