"""Reading a question closely: the clause that asks, the constraints an answer must meet, and
sentences in which a source says what it does not give.

A sentence near the topic is not an answer. Asked for a figure "in 2025", a sentence with the
2023 figure is a near miss; asked for "the 4th principle", the third is a near miss; asked "how
many", a sentence with no number is not an answer. These constraints are read from the
question here and checked against candidate sentences (with their passage's title and
heading) by `Constraints.met_by`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Things that come in numbered lists in our sources.
_ITEM_NOUNS = (
    r"principles?|recommendations?|aims?|steps?|points?|rules?|sections?|standards?|goals?"
    r"|objectives?|demands?|conditions?|commitments?|criteria|criterion|questions?|items?"
    r"|findings?|priorities|priority|safeguards?|options?|actions?|lessons?|tests?"
)
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)|" + "|".join(_ORDINALS)
_ITEM_BEFORE = re.compile(rf"\b(?:{_ORDINAL})\s+(?:\w+\s+){{0,3}}?({_ITEM_NOUNS})\b", re.I)
_ITEM_AFTER = re.compile(
    rf"\b({_ITEM_NOUNS})\s+(?:number\s+|no\.?\s*)?(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\b", re.I
)
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
# A month's name, in full or cut short ("Sept", "Dec"), and not the start of another word
# ("separate", "decision", "market"); "may" only as "May" or beside a day or a year (the
# verb is commoner).
MONTH = (
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
    r"|(?-i:\bMay\b)|\b\d{1,2}(?:st|nd|rd|th)?\s+may\b|\bmay\s+(?:\d{1,2}|(?:19|20)\d\d)\b"
)
_MONTH_YEAR = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s+(?:19|20)\d\d\b",
    re.I,
)
# The devolved nations, whose arrangements differ (England is the default of most sources, and
# "NHS England" is an organisation: it sets no constraint).
_NATION = re.compile(r"\b(scotland|scottish|wales|welsh|northern ireland)\b", re.I)
_NATION_OF = {"scottish": "scotland", "welsh": "wales"}
_ENGLAND = re.compile(r"(?<!nhs )\b(england|english)\b", re.I)
# "the Data Protection Act 2018": a year in a law's name dates nothing the sentence tells.
_LAW_YEAR = re.compile(
    r"\b(Act|Regulations|Order|Rules)(\s+\([^)]*\))?\s+(19|20)\d\d\b"
    r"|\b(?:19|20)\d\d\s+(Act|Regulations|Order|Rules)\b"
)
# "since 2020", "before 2018", "after 2016": a range, not the year the figure is for.
_RANGE_YEAR = re.compile(r"\b(since|before|after|until|till|from|between|by)\s+(?:\w+\s+)?$", re.I)

# Openers of a chatty message that come before what is asked.
_ASKING = re.compile(
    r"\?|^\s*(who|whom|whose|what|whats|what's|which|when|where|why|how|is|are|was|were|do|does"
    r"|did|can|could|will|would|should|has|have|had|may|must|tell me|explain)\b",
    re.I,
)
_FILLER = re.compile(
    r"^\s*(?:(?:so|ok|okay|anyway|also|and|but|hi|hello|hey|quick question|sorry|right|well)"
    r"[,!:]?\s+)*(?:(?:does|do|can|could) (?:any ?one|someone|you|anybody)"
    r"(?: here)? (?:know|tell me|explain|confirm)(?: if| whether)?\s*"
    r"|i (?:was )?(?:wondering|want to know|need to know)(?: if| whether)?\s*)?",
    re.I,
)
# "when the system crashed a week after go-live, how long were ambulances diverted?": the
# opening clause sets the scene, what follows the comma asks.
_SCENE = re.compile(
    r"^\s*(?:when|if|after|before|once|since|while|during)\s+"
    r"(?!(?:is|are|was|were|did|do|does|will|would|can|could|has|have|had|should)\b)"  # asks
    r"[^,?]{3,120},\s*(?=(?:how|what\w*"
    r"|who\w*|which|where|why|is|are|was|were|did|do|does|can|could|will|would|has|have)\b)",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")  # "care.data" is one word

# "The sources reviewed for this brief do not give the number of …": what a source lacks.
_DISCLAIMER = re.compile(
    r"\b(?:sources?|briefs?|documents?|records?|reports?|papers?|figures?|answers?)\b[^.;]{0,60}?"
    r"\b(?:do|does|did|could|can|have|has)\s*(?:not|n't)\s+"
    r"(?:yet\s+)?(?:give|say|state|confirm|record|describe|mention|show|include|contain|"
    r"report|publish|list|name|identify|explain|set out|break down|cover)\w*\s+"
    r"(?P<what>[^.;]+)",
    re.I,
)

_NEGATED = re.compile(r"\b(?:not|never|no)\b", re.I)
# How news and reports say a fact is not public: "it has not been reported whether he was
# charged", "neither the ICO nor the company has said whether…", "nor was it made public
# what the investigation concluded", "the split had not been published", "NHS Digital never
# named the provider", "it is not known how many…".
_UNSAID = (
    r"(?:said|say|says|published|publish|reported|report|disclosed|disclose|revealed|reveal"
    r"|named|name|confirmed|confirm|released|release|stated|state|explained|explain|announced"
    r"|announce|identified|identify|made\s+public|make\s+public|specified|specify)"
)
_WHAT_UNSAID = (
    r"(?P<what>(?:whether|how|what|who|whom|which|when|where|why|the|its|their|any)\b[^.;]+)"
)
_UNSAID_PATTERNS = (
    # "it has not been reported whether…", "the ICO did not say how much…", "never named the…"
    re.compile(
        r"\b(?:(?:has|have|had|did|does|do|was|were|is|are)\s*(?:not|n['’]t)|never)\s+(?:yet\s+)?"
        rf"(?:been\s+)?(?:publicly\s+|officially\s+)?{_UNSAID}\s+(?:publicly\s+)?{_WHAT_UNSAID}",
        re.I,
    ),
    # "neither X nor Y has said whether…", "nor was it made public what…"
    re.compile(
        r"\b(?:neither\b[^.;]{0,80}?\bnor\b[^.;]{0,60}?\b(?:has|have|had|did)|nor\s+(?:has|have"
        rf"|had|did|does|do|was|were|is)\b[^.;]{{0,40}}?)\s+(?:been\s+)?{_UNSAID}\s+{_WHAT_UNSAID}",
        re.I,
    ),
    # "it is not known how many…", "it remains unclear whether…"
    re.compile(
        r"\b(?:is|are|was|were|remains?|remained)\s+(?:not\s+(?:known|clear)|unknown|unclear)\s+"
        r"(?P<what>(?:whether|how|what|who|which|when|why|if)\b[^.;]+)",
        re.I,
    ),
)

# "the final split of the £6.6 million had not been published", "no estimate was published
# of how many…" (passive): what comes before the verb is what is missing. Read first: in
# "the split had not been published when we went to press", the split is missing.
_UNSAID_PASSIVE = re.compile(
    r"(?:^|[,:;]\s*)(?P<what>(?:the|its|their|no)\s(?:[^,.;]|(?<=\d)\.(?=\d)){3,120}?)\s+"
    r"(?:(?:has|have|had)\s+(?:not\s+|never\s+)?(?:yet\s+)?been\s+"
    r"|(?:was|were|is|are)\s+(?:not\s+|never\s+)?(?:yet\s+)?)"
    r"(?:published|disclosed|released|made\s+public|revealed|announced)\b",
    re.I,
)

# "on behalf of another organisation, which has not been publicly named": the name is missing.
_UNNAMED = re.compile(
    r"\b(?P<which>an?|another|the|one|some)\s+(?P<thing>(?:other\s+)?[\w'’-]+(?:\s+[\w'’-]+)?),?"
    r"\s+(?:which|who|whose\s+name)\s+(?:has|have|had|was|were|is|are)\s+(?:not|never)\s+"
    r"(?:yet\s+)?(?:been\s+)?(?:publicly\s+|officially\s+)?(?:named|identified|disclosed)\b",
    re.I,
)


def asked_clause(message: str) -> str:
    """The part of a message that asks: in a chatty message with asides, the last sentence
    with a question mark or a question word; openers such as "does anyone know if" dropped."""
    parts = [p.strip() for p in _SENTENCE_END.split(message) if p.strip()]
    if len(parts) <= 1:
        return _FILLER.sub("", message).strip() or message.strip()
    asking = [p for p in parts if "?" in p] or [p for p in parts if _ASKING.search(p)]
    clause = asking[-1] if asking else parts[-1]
    return _FILLER.sub("", clause).strip() or clause


def without_scene(clause: str) -> str:
    """The clause without an opening one that sets the scene: "when it crashed, how long were
    ambulances diverted?" asks how long, not when. (Its years still constrain the answer.)"""
    return _SCENE.sub("", clause) or clause


def without_law_years(sentence: str) -> str:
    """The sentence with the years of laws' names taken out ("the Data Protection Act")."""
    return _LAW_YEAR.sub("law", sentence)


def years_in(sentence: str) -> list[str]:
    """The years a sentence dates what it tells by (not those in a law's name)."""
    return _YEAR.findall(without_law_years(sentence))


def disclaimed(sentence: str, name_asked: bool = False) -> str | None:
    """What a sentence says its sources don't give ("the number of babies recruited"), or
    None when it says no such thing. Asked for a name (`name_asked`), "another body, which
    has not been named" lacks it; asked anything else, that detail is beside the point."""
    sentence = re.sub(r"\*\*|__|`", "", sentence)  # "has **not been published**"
    unnamed = _UNNAMED.search(sentence) if name_asked else None
    if unnamed:
        other = "other " if unnamed["which"].lower() == "another" else ""
        return f"the name of the {other}{unnamed['thing']}"
    match = _DISCLAIMER.search(sentence) or _unsaid(sentence)
    if not match:
        return None
    what = re.split(r",\s*(?:and|but|so|which|as)\b|\s+\(", match["what"])[0]
    what = re.sub(r"^no\b", "any", re.sub(r"^(?:The|Its|Their|No)\b", lambda m: m[0].lower(), what))
    return " ".join(what.split()).rstrip(" ,:;") or None


def _unsaid(sentence: str) -> re.Match[str] | None:
    match = _UNSAID_PASSIVE.search(sentence)
    # "no estimate was published" says it is missing; "the report was published" does not
    if match and _NEGATED.search(match[0]):
        return match
    return next((m for m in (p.search(sentence) for p in _UNSAID_PATTERNS) if m), None)


def unknown(what: str) -> str:
    """How a refusal says a source lacks `what`: "it is not known whether he was charged",
    "they don't give the number of babies"."""
    if re.match(r"(?:whether|how|what|who|whom|which|when|where|why|if)\b", what, re.I):
        return f"it is not known {what}"
    return f"they don't give {what}"


@dataclass(frozen=True)
class Constraints:
    """What an answer must hold beyond the topic: a year, an item number, a nation."""

    years: frozenset[str] = frozenset()
    item: int | None = None  # "the 4th aim" → 4
    item_noun: str = ""
    nations: frozenset[str] = frozenset()
    months: frozenset[str] = frozenset()  # "in july 2021": "jul"

    @property
    def any(self) -> bool:
        return bool(self.years or self.item or self.nations)

    def met_by(self, sentence: str, heading: str = "", passage: str = "") -> bool:
        """Whether a sentence meets them: its passage (`passage`, with its title and heading in
        `heading`) names the year and the nation asked about, and the sentence is, or names,
        the item asked for (its neighbours in the list are not)."""
        around = f"{heading} {passage} {sentence}".lower()
        if self.years and not any(y in around for y in self.years):
            return False
        own = set(years_in(sentence))
        if self.years and own and not self.years & own:
            return False  # "in October 2024 … 1.19 million" is the figure for 2024
        if self.months and not any(re.search(rf"\b{m}", around) for m in self.months):
            return False
        if self.nations and not all(_names_nation(around, n) for n in self.nations):
            return False
        return self.item is None or _is_item(sentence, heading, self.item)

    def describe(self) -> str:
        """The constraints in words, for a refusal ("item 4", "2025", "Scotland")."""
        parts = []
        if self.item is not None:
            parts.append(f"item {self.item}" + (f" ({self.item_noun})" if self.item_noun else ""))
        months = " ".join(m.title() for m in sorted(self.months))
        parts += [f"{months} {y}".strip() for y in sorted(self.years)]
        parts += [n.title() for n in sorted(self.nations)]
        return ", ".join(parts)


def constraints(question: str) -> Constraints:
    """The constraints a question sets (none for most questions)."""
    years = {
        m[1] for m in _YEAR.finditer(question) if not _RANGE_YEAR.search(question[: m.start()])
    }
    months = {m[1].lower()[:3] for m in _MONTH_YEAR.finditer(question)}
    nations = {_NATION_OF.get(m[1].lower(), m[1].lower()) for m in _NATION.finditer(question)}
    if _ENGLAND.search(question):
        nations = set()  # "does it apply in wales or just england?" compares; it sets no nation
    item, noun = _item(question)
    return Constraints(frozenset(years), item, noun, frozenset(nations), frozenset(months))


def _item(question: str) -> tuple[int | None, str]:
    before = _ITEM_BEFORE.search(question)
    if before:
        digits, word = before[1], before[0].split()[0].lower()
        number = int(digits) if digits else _ORDINALS.get(word)
        return number, before[2].lower()
    after = _ITEM_AFTER.search(question)
    if after:
        value = after[2].lower()
        return (int(value) if value.isdigit() else _NUMBER_WORDS[value]), after[1].lower()
    return None, ""


def _names_nation(text: str, nation: str) -> bool:
    forms = {"scotland": "scotland|scottish", "wales": "wales|welsh|cymru",
             "northern ireland": "northern ireland|hscni"}  # fmt: skip
    return re.search(rf"\b({forms.get(nation, nation)})", text) is not None


def _is_item(sentence: str, context: str, n: int) -> bool:
    """A numbered list item n ("4. …", "4) …"), or a sentence naming the nth item ("Principle
    4", "the fourth principle", "4th")."""
    if re.match(rf"\s*{n}[.)]\s", sentence):
        return True
    ordinal = next((w for w, v in _ORDINALS.items() if v == n), "")
    words = rf"(?:{_ITEM_NOUNS})\s+(?:number\s+)?{n}\b|\b{n}(?:st|nd|rd|th)\b"
    if ordinal:
        words += rf"|\b{ordinal}\b"
    return re.search(words, f"{context} {sentence}", re.I) is not None
