"""What a sum of money asked about is for: a salary, a ransom, a fine, a fee, a budget.

Asked "how much does the national data guardian get paid?", a sentence with the FDP's £330
million holds a sum of money, but not a salary; asked "how much ransom did they demand?", the
£92 million the attack cost is not the ransom. When a question names what the money is for,
the sentence that answers says so too (in any of its usual words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vectorstore.acronyms import initials

# What the money is for: how a question names it, and the words a sentence about it uses.
_PURPOSES: dict[str, tuple[str, str]] = {
    "ransom": (r"\bransom", r"ransom|demand"),
    "royalty": (r"\broyalt", r"royalt"),
    "compensation": (r"\bcompensat|\bdamages\b|\bpay-?outs?\b", r"compensat|damages|pay-?out"),
    "fine": (r"\bfined?\b|\bpenalt", r"fine[ds]?\b|penalt"),
    "fee": (
        r"\bfees?\b|\bcharged?\b|\bcharges\b|\bprice\b",
        r"fee|charg|price|cost|free\b|for (?:a |an |just |only )?(?:nominal |token )?[£$€]\d",
    ),
    "budget": (r"\bbudget|\bfunding\b", r"budget|fund|invest|allocat|spend|spent"),
    # Last: "how much royalty money did they get paid" asks about royalties.
    "salary": (
        r"\bsalar(?:y|ies)\b|\bwages?\b|\bearn(?:s|ings)?\b|\bget(?:s|ting)? paid\b",
        r"salar|wage|earn|remunerat|a year|per year|per annum|annual",
    ),
}


@dataclass(frozen=True)
class Purpose:
    """What a sum asked about is for ("salary"), and the words that name it in a sentence."""

    word: str
    said: re.Pattern[str]

    def named_by(self, sentence: str) -> bool:
        return self.said.search(sentence) is not None


def purpose_asked(clause: str) -> Purpose | None:
    """What the money a question asks about is for, when it names it."""
    for word, (asked, said) in _PURPOSES.items():
        if re.search(asked, clause, re.I):
            return Purpose(word, re.compile(rf"\b(?:{said})", re.I))
    return None


# "how much has iqvia (actually) been paid", "has the mod actually paid palantir", "has the
# hse cyber attack cost ireland": the party before the verb. Not "has it", "has actually been".
_PARTY = re.compile(
    r"\b(?:has|have|did)\s+(?:the\s+)?((?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s+"
    r"(?:actually\s+|really\s+)?(?:been\s+|got\s+|gotten\s+)?"
    r"(?:paid|handed|received|spent|cost|earned|made|got|gotten|given)\b",
    re.I,
)
_NOT_PARTY = frozenset(
    """it they them he she we you i this that these those actually really been already
    so far ever even just all""".split()
)


def party(clause: str) -> frozenset[str]:
    """The words naming who was paid, or who paid, in "how much has X been paid so far",
    lower case; empty when the question leaves it to "it" or "they"."""
    match = _PARTY.search(clause)
    if not match:
        return frozenset()
    return frozenset(re.findall(r"[a-z]+", match[1].lower())) - _NOT_PARTY


def names_party(sentence: str, words: frozenset[str]) -> bool:
    """Whether a sentence names any word of the party, or spells out a name with those
    initials ("Health Service Executive" for "hse")."""
    if not words:
        return True
    own = set(re.findall(r"[a-z]+", sentence.lower())) | initials(sentence)
    return any(w in own or w.rstrip("s") in own for w in words)
