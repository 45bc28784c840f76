"""Whether something happened: "was anyone arrested?", "did the ICO fine the trust?", "has the
data been deleted?" each ask about one kind of event. A sentence that never mentions that
event, nor its absence ("no one has been charged", "the ICO did not fine it", "a reprimand
rather than a fine"), is about the topic, not the answer, however close it sits.

Only questions about what did or did not happen (did, has, have, had, was, were) are read
this way. "Can the guardian fine anyone?" asks about a power, and is answered by "it is not a
regulator", which names no fine.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Each kind of event: how a question names it, the words a sentence about it (or about its
# not happening) uses, and what a refusal calls it.
_EVENTS: dict[str, tuple[str, str, str]] = {
    "arrest": (r"arrest\w*", r"arrest\w*|detain\w*|custody", "an arrest"),
    "charge": (
        r"charged?|prosecut\w*|convict\w*|jailed|imprisoned|sentenced",
        # not "court" alone: "a High Court order restraining anyone from sharing it"
        r"charg(?:e|ed|es|ing)\b|prosecut\w*|convict\w*|jail\w*|prison\w*|sentenc\w*|in court"
        r"|court case|guilty|trial|indict\w*|extradit\w*",
        "charges or a prosecution",
    ),
    "fine": (
        r"fined?|fining|penalis\w*|penaliz\w*",
        r"fine[ds]?\b|fining|penalt\w*|penalis\w*|penaliz\w*|reprimand\w*|enforcement"
        r"|undertaking",
        "a fine or penalty",
    ),
    # What was paid, or not: "it demands payment in bitcoin" says neither.
    "pay": (
        r"pa(?:y|id|ying)",
        r"paid|refus\w*|declin\w*|(?:not|never|n['’]t|without) (?:to )?pay\w*|a penny"
        r"|payments? (?:was|were) made|made (?:a |any )?payments?|free\b|for nothing",
        "a payment",
    ),
    "delete": (
        r"delet\w*|destroy\w*|erased?|wiped?",
        # not "kept" or "stored": "how it had to be kept secure" says nothing of deleting it
        r"delet\w*|destr\w*|eras\w*|wip(?:e|ed|ing)\b|dispos\w*|purg\w*|retain\w*|retention",
        "deleting or keeping the data",
    ),
    "end": (
        r"terminat\w*|cancel\w*|scrapp?\w*|pull(?:ed)? out|withdr[ae]w\w*|ditch\w*",
        r"terminat\w*|cancel\w*|scrap\w*|pull\w* out|withdr\w*|ended|exit\w*|break clause"
        r"|ditch\w*|walk\w* away|quit|left|continu\w*|renew\w*|extend\w*",
        "ending or leaving it",
    ),
    "sue": (
        r"su(?:e|ed|ing)|legal action|class action|took \w+ to court|taken \w+ to court",
        r"su(?:e|ed|ing)\b|legal action|lawsuit|claim\w*|court|litigat\w*|tribunal|judicial",
        "legal action",
    ),
    "resign": (
        r"resign\w*|sacked|fired|step(?:ped)? down|quit",
        r"resign\w*|sack\w*|fired|dismiss\w*|step\w* down|quit|left|depart\w*|replac\w*",
        "anyone leaving their post",
    ),
    "compensate": (
        r"compensat\w*|(?:get|got|given|receive[sd]?) (?:any )?(?:damages|money|a pay-?out)",
        r"compensat\w*|damages|pa(?:y|id|yments?|y-?outs?)\b|award\w*|claim\w*|settle\w*",
        "compensation",
    ),
    "apologise": (r"apologi[sz]\w*|said sorry", r"apolog\w*|sorry|regret\w*", "an apology"),
    "join": (
        r"sign(?:ed)? up|join(?:ed)?|opt(?:ed)? in",
        r"sign\w*|join\w*|opt\w* in|declin\w*|refus\w*|adopt\w*|us(?:e|es|ed|ing)\b"
        r"|rolled? out|live\b|part of|taking part|took part|contract\w*",
        "joining or declining",
    ),
    "investigate": (
        r"investigat\w*|look(?:ed)? into|prob(?:e|ed)|inquir\w*|enquir\w*|audit(?:ed)?",
        r"investigat\w*|inquir\w*|enquir\w*|prob(?:e|ed|ing)\b|look\w* into|review\w*"
        r"|audit\w*|inspect\w*",
        "an investigation",
    ),
    "discipline": (
        r"punish\w*|disciplin\w*|sanction\w*|struck off|suspended|blamed|in trouble",
        r"punish\w*|disciplin\w*|sanction\w*|struck off|suspen\w*|dismiss\w*|sack\w*"
        r"|fired|warn\w*|caution\w*|reprimand\w*|misconduct|blam\w*|fault\w*",
        "anyone being disciplined or blamed",
    ),
    "leak": (
        # the verb, or "was it a hack?": "the HSE hack", "the Dean Street leak" name the topic
        r"hacked|leaked|stolen|breached|compromised|an? (?:hack|cyber[- ]?attack|breach|leak)",
        r"hack\w*|breach\w*|leak\w*|stol\w*|compromis\w*|attack\w*|access\w*|exfiltrat\w*"
        r"|publish\w*|released?|dark web",
        "a breach or leak",
    ),
}
_ASKED = {kind: re.compile(rf"\b(?:{asked})\b", re.I) for kind, (asked, _, _) in _EVENTS.items()}
# A question about what did or did not happen opens with one of these.
_HAPPENED = re.compile(
    r"^\W*(?:did|didn['’]?t|has|hasn['’]?t|have|haven['’]?t|had|was|were)\b", re.I
)


@dataclass(frozen=True)
class Event:
    """The kinds of event a question asks about ("arrest", "charge"), and the words a sentence
    mentioning any of them uses."""

    kinds: tuple[str, ...]
    said: re.Pattern[str]

    def mentioned_by(self, sentence: str) -> bool:
        return self.said.search(sentence) is not None

    @property
    def words(self) -> str:
        """What a refusal calls it: "an arrest or charges or a prosecution"."""
        return " or ".join(_EVENTS[kind][2] for kind in self.kinds)


def event_asked(clause: str) -> Event | None:
    """The events a question about whether something happened names, or None."""
    if not _HAPPENED.search(clause):
        return None
    kinds = tuple(kind for kind, asked in _ASKED.items() if asked.search(clause))
    return Event(kinds, _said(kinds)) if kinds else None


@functools.cache
def _said(kinds: tuple[str, ...]) -> re.Pattern[str]:
    """The words a sentence mentioning any of these events uses (compiled once per set)."""
    said = "|".join(_EVENTS[kind][1] for kind in kinds)
    return re.compile(rf"\b(?:{said})", re.I)
