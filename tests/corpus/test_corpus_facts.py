"""Checks on the bundled briefs in corpus/: every brief has complete front matter, and no brief
states a value for a fact in corpus/facts.yaml other than the accepted ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FACTS_FILE = CORPUS / "facts.yaml"
REQUIRED_FIELDS = ("title", "publisher", "published", "url", "sources", "kind", "as_of")


@dataclass(frozen=True)
class Fact:
    id: str
    patterns: tuple[re.Pattern[str], ...]
    accepted: frozenset[str]


@dataclass(frozen=True)
class Statement:
    brief: str
    fact: str
    value: str
    context: str


def normalise(value: str) -> str:
    return " ".join(value.split()).lower()


def split_brief(text: str) -> tuple[dict[str, object], str]:
    """Front matter (parsed YAML) and body of one brief."""
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.DOTALL)
    if match is None:
        return {}, text
    front = yaml.safe_load(match.group(1))
    return (front if isinstance(front, dict) else {}), match.group(2)


def load_facts(path: Path = FACTS_FILE) -> list[Fact]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Fact(
            id=entry["id"],
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in entry["patterns"]),
            accepted=frozenset(normalise(v) for v in entry["accepted"]),
        )
        for entry in raw["facts"]
    ]


def load_briefs(folder: Path = CORPUS) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def statements(facts: list[Fact], briefs: dict[str, str]) -> list[Statement]:
    """Every value any brief states for any fact, with a little context for error messages."""
    found: list[Statement] = []
    for name, text in briefs.items():
        body = " ".join(split_brief(text)[1].split())
        for fact in facts:
            for pattern in fact.patterns:
                for match in pattern.finditer(body):
                    context = body[max(0, match.start() - 60) : match.end() + 60]
                    found.append(Statement(name, fact.id, match.group(1), context))
    return found


def contradictions(facts: list[Fact], briefs: dict[str, str]) -> list[Statement]:
    accepted = {fact.id: fact.accepted for fact in facts}
    return [s for s in statements(facts, briefs) if normalise(s.value) not in accepted[s.fact]]


FACTS = load_facts()
BRIEFS = load_briefs()


def test_corpus_has_briefs_and_facts() -> None:
    assert len(BRIEFS) >= 45
    assert FACTS


@pytest.mark.parametrize("name", sorted(BRIEFS))
def test_front_matter_is_complete(name: str) -> None:
    front, body = split_brief(BRIEFS[name])
    missing = [field for field in REQUIRED_FIELDS if not front.get(field)]
    assert not missing, f"{name}: front matter lacks {missing}"
    sources = front["sources"]
    assert isinstance(sources, list) and all(isinstance(s, str) and s for s in sources)
    assert str(front["url"]) in sources, f"{name}: the main url is not listed in sources"
    assert body.strip(), f"{name}: empty body"


def test_fact_entries_are_well_formed() -> None:
    ids = [fact.id for fact in FACTS]
    assert len(ids) == len(set(ids)), "duplicate fact ids"
    for fact in FACTS:
        assert fact.accepted, f"{fact.id}: no accepted value"
        for pattern in fact.patterns:
            assert pattern.groups == 1, f"{fact.id}: {pattern.pattern!r} needs one capture group"


@pytest.mark.parametrize("fact", FACTS, ids=lambda fact: fact.id)
def test_every_pattern_still_matches_a_brief(fact: Fact) -> None:
    bodies = [" ".join(split_brief(text)[1].split()) for text in BRIEFS.values()]
    for pattern in fact.patterns:
        assert any(pattern.search(body) for body in bodies), (
            f"{fact.id}: {pattern.pattern!r} matches no brief; update the pattern"
        )


def test_no_brief_contradicts_a_fact() -> None:
    found = contradictions(FACTS, BRIEFS)
    report = "\n".join(f"{s.brief}: {s.fact} = {s.value!r} in ...{s.context}..." for s in found)
    assert not found, f"values not accepted in facts.yaml:\n{report}"


def test_a_contradicting_brief_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a brief giving other values is reported, fact by fact."""
    brief = tmp_path / "contradiction.md"
    brief.write_text(
        "---\ntitle: x\n---\n"
        "NHS England gave KPMG a £9.5 million contract. The contract is worth up to "
        "£480 million over seven years. BMA GP committee chair Dr Katie Bramall-Stainer "
        "spoke. The NHS-PET contract went to IQVIA on the same day.\n",
        encoding="utf-8",
    )
    found = contradictions(FACTS, load_briefs(tmp_path))
    caught = {(s.fact, normalise(s.value)) for s in found}
    assert ("kpmg_contract_value", "9.5") in caught
    assert ("fdp_contract_value", "480") in caught
    assert ("gpc_chair_name", "bramall-stainer") in caught
    assert ("gpc_chair_former_name", "") in caught
    assert ("iqvia_award_date", "the same day") in caught
    assert all(s.brief == "contradiction.md" for s in found)


def test_an_agreeing_brief_passes(tmp_path: Path) -> None:
    (tmp_path / "agreeing.md").write_text(
        "---\ntitle: x\n---\nThe contract is worth up to £330 million over seven years.\n",
        encoding="utf-8",
    )
    assert contradictions(FACTS, load_briefs(tmp_path)) == []
