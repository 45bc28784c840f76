"""Redaction of a question before it is kept (knowledge gaps): what could identify a person is
replaced by a plain placeholder. Pure functions, no state.

Replaced, in this order:
- a web address's query string and fragment (`?…`, `#…`) and any `user:password@`: the host and
  path stay;
- email addresses → `[email]`;
- Discord mentions `<@123>`, `<@!123>`, `<@&123>` → `[mention]`, channels `<#123>` → `[channel]`;
- NHS numbers (10 digits, run together or 3-3-4 with spaces, hyphens or dots, whose modulus-11
  check digit is right) → `[NHS number]`;
- UK phone numbers (`07…`, `01…`, `02…`, `+44 …`, `0044 …`, `(0)`, brackets) → `[phone number]`;
- any other run of 10 or more digits (an NHS number mistyped, a CHI or hospital number, a card
  number, digits spaced out) → `[number]`;
- full UK postcodes (`SW1A 1AA`, `m1 1ae`) → `[postcode]`;
- `@everyone`, `@here` and any other `@name` → `[mention]`.

Names and health details in free text are not recognised: that is why keeping questions is off
by default and kept ones are deleted after a few weeks.
"""

from __future__ import annotations

import re

NHS_NUMBER = "[NHS number]"
PHONE = "[phone number]"
NUMBER = "[number]"
EMAIL = "[email]"
POSTCODE = "[postcode]"
MENTION = "[mention]"
CHANNEL = "[channel]"

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_TRAILING = re.compile(r"[.,;:!?)\]'\"”’]+$")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_DISCORD_MENTION = re.compile(r"<@[!&]?\d+>")
_DISCORD_CHANNEL = re.compile(r"<#\d+>")
_SEP = r"[\s.-]"
_NHS = re.compile(rf"(?<![\w.-])(\d{{3}})({_SEP}?)(\d{{3}})\2(\d{{4}})(?![\w-]|\.\d)")
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(0|0)"  # +44, 0044, +44 (0), (0…) or 0
    r"\d(?:[\s.-]?\)?[\s.-]?\d){8,9}"  # 9 or 10 national digits, separators between them
    r"(?![\w-])"
)
_LONG_NUMBER = re.compile(rf"(?<![\w])\d(?:{_SEP}?\d){{9,}}(?!\w)")
_POSTCODE = re.compile(r"(?i)\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b")
_AT_NAME = re.compile(r"(?<![\w@.])@\w+(?:\.\w+)*")
_USERINFO = re.compile(r"^((?:https?://)?)[^\s/?#]*@", re.I)


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of an NHS number's first nine digits (None: none is valid)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return None if check == 10 else 0 if check == 11 else check


def is_nhs_number(digits: str) -> bool:
    """Whether ten digits form a valid NHS number (right check digit)."""
    return len(digits) == 10 and digits.isdigit() and nhs_check_digit(digits[:9]) == int(digits[9])


def _url(match: re.Match[str]) -> str:
    url = _USERINFO.sub(r"\1", match.group())  # user:password@ goes too
    trailing = _TRAILING.search(url)
    tail = trailing.group() if trailing else ""
    url = url[: len(url) - len(tail)]
    cut = re.search(r"[?#]", url)  # a query string or fragment goes; punctuation after stays
    return (url[: cut.start()] if cut else url) + tail


def _nhs(match: re.Match[str]) -> str:
    digits = match.group(1) + match.group(3) + match.group(4)
    return NHS_NUMBER if is_nhs_number(digits) else match.group()


def redact(text: str) -> str:
    """`text` with everything listed in this module's docstring replaced by placeholders."""
    text = _URL.sub(_url, text)
    text = _EMAIL.sub(EMAIL, text)
    text = _DISCORD_MENTION.sub(MENTION, text)
    text = _DISCORD_CHANNEL.sub(CHANNEL, text)
    text = _NHS.sub(_nhs, text)
    text = _PHONE.sub(PHONE, text)
    text = _LONG_NUMBER.sub(NUMBER, text)
    text = _POSTCODE.sub(POSTCODE, text)
    return _AT_NAME.sub(MENTION, text)
