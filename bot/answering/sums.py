"""What a sum of money asked about is for: a salary, a ransom, a fine, a fee, a budget.

Asked "how much does the national data guardian get paid?", a sentence with the FDP's £330
million holds a sum of money, but not a salary; asked "how much ransom did they demand?", the
£92 million the attack cost is not the ransom. When a question names what the money is for,
the sentence that answers says so too (in any of its usual words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
