"""What a "how many" question counts, and whether a sentence gives a number of it.

Asked "how many people opted out in July 2021?", a sentence holding a number is not enough:
"On 19 July 2021 the minister wrote to all GPs" holds two. An answer gives a number *of the
thing counted*: a number followed, within a few words, by that noun ("3.4 million people",
"185 detailed recommendations"). People and organisations are counted under many names
("volunteers", "contractors"; "groups", "organisations"), so those nouns count as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASKS = re.compile(r"\b(?:how many|number of)\s+(?P<rest>.*)", re.I)
# Where the counted noun phrase ends: the verb or preposition after it.
_ENDS = frozenset(
    "are is were was have has had did do does will would can could in on at from by per each"
    " a an the under with for to through thru about there so since after before that who which"
    " got took joined signed opted wrote send sent used left approve approved actually exactly"
    " really roughly currently now".split()
)
# Chat spellings of a counted noun.
_SPELLINGS = {"ppl": "people", "peoples": "people", "ppls": "people", "orgs": "organisations"}
PEOPLE = frozenset(
    "people persons patients adults individuals volunteers participants users staff members"
    " contractors employees engineers workers residents citizens babies children men women admins"
    " administrators".split()
)
ORGANISATIONS = frozenset(
    "groups organisations organizations orgs bodies companies firms charities suppliers".split()
)
_PLURAL_LIKE = frozenset({"people", "staff", "children", "men", "women"})
_NUMBER = re.compile(
    r"^(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|sixty|hundred|hundreds|thousands|millions|dozens?)$",
    re.I,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTH = re.compile(
    r"^(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)$",
    re.I,
)
# Words that end the phrase a number heads: "six letters for each user", "42 ICBs in 2026".
_PHRASE_ENDS = frozenset(
    "for to with by in on at from per each who which that was were is are had have has".split()
)
WINDOW = 8  # words between a number and its noun: "185 detailed recommendations", "50 health, …"


# A number per day or per year is a rate, not a total ("3,000 people were joining each day").
_RATE = re.compile(
    r"\b(?:each|a|per|every|an)\s+(?:day|week|month|year|hour)\b|\b(?:daily|weekly|monthly"
    r"|annually|yearly)\b",
    re.I,
)
# A number someone aims at is not how many there are ("aims to sequence 100,000 genomes").
_TARGET = re.compile(
    r"\b(?:aims?|aiming|aimed|targets?|plans?|planned|planning|goal|hopes?|hoping|expects?"
    r"|expected|intends?|seeks?|trying|wants?|up to|will|would|could)\b",
    re.I,
)
# "how many … so far / now / as of 2026": the count reached, not a target.
_ACTUAL = re.compile(
    r"\b(?:so far|to date|actually|as of|right now|currently|at the moment|atm|rn|yet)\b", re.I
)
BEFORE = 6  # words before a number in which an aim is stated ("aims to sequence the genomes of")


@dataclass(frozen=True)
class Counted:
    """The noun a "how many" question counts ("people", "recommendations"); whether the
    question asks a rate ("how many a year"), and whether it asks the count reached so far."""

    noun: str
    rate: bool = False
    actual: bool = False

    @property
    def names(self) -> frozenset[str]:
        """The noun and the nouns that count the same things."""
        for group in (PEOPLE, ORGANISATIONS):
            if self.noun in group:
                return group
        return frozenset({self.noun})

    def given_by(self, sentence: str) -> bool:
        """Whether the sentence gives a number of the counted thing (a year is not one)."""
        words = re.findall(r"[\w£$€][\w,.'’%-]*", sentence.lower())
        for i, word in enumerate(words):
            token = word.strip(",.")
            if not _NUMBER.match(token) or _YEAR.match(token) or _day(words, i):
                continue
            after = words[i + 1 : i + 1 + WINDOW]
            if not self._follows(after):
                continue
            if not self.rate and _RATE.search(" ".join(after)):
                continue
            if self.actual and _TARGET.search(" ".join(words[max(0, i - BEFORE) : i])):
                continue
            return True
        return False

    def _follows(self, words: list[str]) -> bool:
        """Whether the noun comes in these words after a number, before the number's own
        phrase ends ("six letters for each user" counts letters, not users)."""
        for word in words:
            word = word.strip(",.;:'’")
            if word in _PHRASE_ENDS:
                return False
            if any(_same(word, n) for n in self.names):
                return True
        return False


def counted(clause: str) -> Counted | None:
    """The noun a "how many X …" / "the number of X …" clause counts, or None when it counts
    nothing it names ("how long", "what percentage")."""
    match = _ASKS.search(clause)
    if not match:
        return None
    words = [_SPELLINGS.get(w, w) for w in re.findall(r"[a-z][a-z'’-]*", match["rest"].lower())]
    phrase = []
    for word in words[:5]:
        if word in _ENDS:
            break
        phrase.append(word)
    for word in phrase:  # the counted noun is plural: "how many gp practices", "how many ppl"
        if word in _PLURAL_LIKE or plural(word):
            rate = _RATE.search(match["rest"]) is not None
            return Counted(word, rate, _ACTUAL.search(clause) is not None)
    return None


def _day(words: list[str], i: int) -> bool:
    """Whether the number at `i` is the day of a date ("Friday 1 May 2026", "May 1")."""
    near = [words[j].strip(",.") for j in (i - 1, i + 1) if 0 <= j < len(words)]
    return words[i].strip(",.").isdigit() and any(_MONTH.match(w) for w in near)


def plural(word: str) -> bool:
    """Whether a word reads as a plural ending in -s ("patients", not "access" or "nhs")."""
    return len(word) > 3 and word.endswith("s") and not word.endswith("ss") and "nhs" not in word


def _same(word: str, noun: str) -> bool:
    """The same noun, singular or plural, or misspelt after its first five letters
    ("recomendations", not "research" for "researchers"); "opt-outs" counts "outs"."""
    for form in {word, word.rsplit("-", 1)[-1]}:
        if form == noun or form.rstrip("s") == noun.rstrip("s"):
            return True
        if len(form) > 5 and abs(len(form) - len(noun)) <= 2 and form[:5] == noun[:5]:
            return True
    return False
