"""Who holds a role: "who chairs X?", "which minister…", "the name of the defence secretary".

Such a question asks for a person, and a sentence answers it only when it names someone beside
that role: "Dr Nicola Byrne, the National Data Guardian" answers "who is the national data
guardian?", but not "who is the information commissioner?", and "the new chair wrote…" (no
name) answers no "who chairs…" question. Names already in the question ("who took over from
Wes Streeting…") are not the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_ROLE = (
    r"chair(?:man|woman|person)?|ministers?|secretary|director|commissioner|ceo"
    r"|chief exec(?:utive)?|execs?|executives?|head|boss|engineers?|officials?|person|mp"
    r"|spokes(?:person|man|woman)|guardian|founder|leader|author"
)
_WORD = r"[\w'’-]+"  # "the agency's"
_ASKS = re.compile(
    rf"\bwho(?:'s|s| is| was| are| were)\s+(?:now\s+)?(?:the\s+)?(?:{_WORD}\s+){{0,4}}?"
    rf"(?:{_ROLE})\b"
    rf"|\bwho(?:'s|’s|s)?\s+(?:[\w-]+\s+){{0,5}}as\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}(?:{_ROLE})\b"
    r"|\bwho\s+(?:chairs?|chaired|heads|headed|leads|led)\b"
    rf"|\bwhich\s+(?:[\w-]+\s+){{0,3}}(?:{_ROLE})\b"
    rf"|\bnames?\s+of\s+(?:the\s+)?(?:[\w-]+\s+){{0,4}}(?:{_ROLE})\b"
    # "who's running nhs highland now, like the current chief exec"
    rf"|\bwho\b[^?]*\b(?:like|as|i\.?e\.?)\s+(?:{_WORD}\s+){{0,2}}?(?:{_ROLE})\b",
    re.I,
)
_ROLE_WORD = re.compile(rf"\b(?:{_ROLE})\b|\bchair", re.I)
_ANY_ROLE = frozenset({"person", "official", "officials"})  # any named person answers
_TITLES = r"Dr|Sir|Lord|Lady|Baroness|Baron|Dame|Professor|Prof|Mr|Mrs|Ms|Cllr"
_TITLE = re.compile(rf"^(?:{_TITLES})\.?\s")
_CAPITALISED = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
_NAME = re.compile(rf"(?:(?:{_TITLES})\.?\s+)?\b{_CAPITALISED}(?:\s+{_CAPITALISED})+")
# Capitalised words of bodies, documents, places and dates: a run of these is not a person.
_NOT_NAMES = frozenset(
    """The A An In On At For And Of But As By From After Before When If It This That Under
    NHS England Scotland Wales Ireland Northern Scottish Welsh British United Kingdom UK
    Data Health Care Social Committee Group Department Office Act Bill Trust Service Services
    Board Boards Council Digital National Guardian Commissioner Information Secretary State
    Parliament Commons Lords House Select Government Ministry Defence Agency Authority Review
    Report Platform Federated Research Panel Oversight Advisory Science Innovation Technology
    Technologies Public Privacy Protection Royal College General Medical Association Law
    Project Justice Court High Appeal Judge Minister Prime Chief Executive Officer Director
    Chair Hall Union Network Programme Centre Institute University Foundation Society
    Confederation Partnership Alliance Campaign Times Journal News Financial International
    Record Records Patient Patients Secure Environment Trusted Standard Code Practice Free
    Limited Ltd Inc Commission Tribunal Freedom Access Use Integrated Primary Hospital
    January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Not No With Without My Our Your Their His Her Its We You They He She Who What Why How
    Where Which Save Stop Keep Hands Off Campaign""".split()
)
# Words only a body's name holds: a run with one is no person, whatever else it holds.
_BODY_WORDS = frozenset(
    """Unit Support Commissioning Company Companies Consortium Partners Solutions Systems
    Group Trust Council Agency Authority Board Service Services Clinic Hospital Hospitals
    Committee Department Office Institute University College Association Society Foundation
    Limited Ltd Inc Plc LLP Labour Conservative Conservatives Party""".split()
)
MAX_NAME_WORDS = 4  # untitled: "Nicola Byrne", "Katie Bramall-Stainer", "Mary Jane Smith Jones"
# Words of an office written before a name: "Health Secretary Matt Hancock", "Information
# Commissioner John Edwards" (not "The London Clinic": "The" is no office).
_OFFICE_WORDS = frozenset(
    """Health Home Foreign Defence Culture Business Justice Education Science Technology Digital
    Transport Environment Shadow Junior Deputy Permanent Secretary State Minister Prime Chief
    Executive Officer Director Chair Commissioner Information National Data Guardian Medical
    Clinical Caldicott""".split()
)
# Asked who holds a role now, a holder named as first, former or outgoing is a near miss.
_NOW = re.compile(
    r"\b(now|currently|current|atm|rn|at the moment|today|these days|present|new|newly)\b", re.I
)
_FORMER = re.compile(
    r"\b(first|former|formerly|previous|previously|then|ex|founding|original|outgoing|late|had"
    r"|until|at the time)\b",
    re.I,
)
# "who chairs it?" and "who is the guardian?" ask for the holder now, as "now" does; "who is
# the first chair?" does not.
_PRESENT = re.compile(r"\bwho(?:'s|’s|s| is| are)\b|\bwho\s+(?:chairs|heads|leads|runs)\b", re.I)
WINDOW_CHARS = 90  # how far from a name its role may be written ("Dr X, who chairs the Y")
FORMER_WINDOW_CHARS = 60  # how far "former", "first" or "had" may be to mark a past holder


@dataclass(frozen=True)
class Role:
    """The role a question asks the holder of ("chair", "secretary"), and the question's own
    words (names in them are not answers)."""

    word: str
    asked: frozenset[str]
    now: bool = False  # "who chairs it now?": a former holder is not the answer

    def named_by(self, sentence: str) -> bool:
        """Whether the sentence names a person, not in the question, beside the role."""
        for match, words in _people(sentence):
            if {w.lower() for w in words} & self.asked:
                continue
            if self.word in _ANY_ROLE:
                return True
            if self.now and _FORMER.search(_around(sentence, match, FORMER_WINDOW_CHARS)):
                continue
            around = _around(sentence, match, WINDOW_CHARS)
            if re.search(rf"\b(?:{_written(self.word)})", around, re.I):
                return True
        return False


# Not a shadow, permanent (civil servant) or general (union) secretary.
_MINISTER = (
    r"minis|(?<!shadow )(?:secretary of state|(?:health|home|foreign|defence|culture|business"
    r"|justice|education|science|technology|digital|transport|environment|work and pensions)"
    r" secretary)"
)


# Roles a sentence may name in other words: "the trust's chief executive" ran it.
_CHIEF = r"chief exec|ceo\b|executive"
_LEADS = rf"{_CHIEF}|head(?:s|ed)?\b|director|chair|lead|boss|ran\b|runs?\b|running|in charge"
_WRITTEN = {"chief executive": _CHIEF, "head": _LEADS}


def _written(role: str) -> str:
    """How a sentence may name the role: by its own word, or (a minister) by a title every
    holder of which is one: "Health Secretary Matt Hancock" is a minister."""
    if role in _WRITTEN:
        return _WRITTEN[role]
    return _MINISTER if role[:5] == "minis" else re.escape(role[:5])


def _role_word(found: str) -> str:
    """The role a question's word names: "chief exec", "ceo" and "execs" are the chief
    executive."""
    found = " ".join(found.lower().split())
    if found == "ceo" or found.startswith(("chief exec", "exec")):
        return "chief executive"
    return found


def _around(sentence: str, match: re.Match[str], chars: int) -> str:
    return sentence[max(0, match.start() - chars) : match.end() + chars]


def role_asked(clause: str) -> Role | None:
    """The role a question asks the holder of, or None when it asks for no person by role."""
    if not _ASKS.search(clause):
        return None
    roles = [_role_word(m[0]) for m in _ROLE_WORD.finditer(clause)]
    specific = [r for r in roles if r not in _ANY_ROLE]
    word = (specific or roles)[0]
    asked = question_words(clause)
    now = _NOW.search(clause) is not None or (
        _PRESENT.search(clause) is not None and _FORMER.search(clause) is None
    )
    return Role(word, asked, now)


def question_words(clause: str) -> frozenset[str]:
    """A question's words, lower case: a name among them is not the answer."""
    return frozenset(re.findall(r"[a-z]+", clause.lower()))


def first_person(text: str) -> str | None:
    """The first person a text names ("Dr Nicola Byrne"), or None."""
    for match, words in _people(text):
        return match[0][match[0].index(words[0]) :]  # from its first word: "Matt Hancock"
    return None


def _people(text: str) -> Iterator[tuple[re.Match[str], list[str]]]:
    """Each name of a person in the text, with its words (a title such as "Dr" kept, a role
    written before it dropped: "Health Secretary Matt Hancock" is Matt Hancock)."""
    for match in _NAME.finditer(text):
        words = re.findall(r"[A-Za-z]+", match[0])
        if not _TITLE.match(match[0]):
            while len(words) > 2 and words[0] in _OFFICE_WORDS:
                words = words[1:]
        if _person(match[0], words):
            yield match, words


def _person(name: str, words: list[str]) -> bool:
    """A titled name ("Dr Nicola Byrne"), or two or more capitalised words, the first of
    which, and at least two in all, are not words of bodies, places or dates."""
    if _TITLE.match(name):
        return True
    if len(words) > MAX_NAME_WORDS or any(w in _BODY_WORDS for w in words):
        return False  # "South East Commissioning Support Unit"
    plain = [w for w in words if w not in _NOT_NAMES]
    return len(plain) >= 2 and words[0] not in _NOT_NAMES


_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w&'’-]*(?:\s+(?:of\s+|and\s+|for\s+)?[A-Z][\w&'’-]*)*")


def names_anyone(sentence: str, asked: frozenset[str]) -> bool:
    """Whether a sentence names a person or a body the question does not ("Accenture",
    "Privacy International"): "an outside partner spotted it" answers no "who…"."""
    for run in _CAPITALISED_RUN.finditer(sentence):
        words = re.findall(r"[A-Za-z]+", run[0])
        if any(w not in _NOT_NAMES and w.lower() not in asked and len(w) > 1 for w in words):
            return True
    return False
