"""Plain helpers shared by tests (conftest modules can't be imported by name reliably)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.answering.decision import Refusal, answerable
from bot.answering.question import Question
from bot.answering.scoring import Sentence
from bot.settings import Settings
from vectorstore.records import Hit

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: no .env, the given data dir and overrides."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


def nhsbot(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The `nhsbot` command run as a subprocess with `env`."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def sentence(text: str, rank: int = 0, overlap: float = 0.5, title: str = "Brief") -> Sentence:
    """A candidate sentence that is the whole of its own passage."""
    hit = Hit(f"c{rank}", f"d{rank}", text, {"title": title, "heading": ""}, 1.0, 0.5, 1.0, {})
    return Sentence(rank, hit, 0, len(text), overlap=overlap)


def refusal_text(question: Question, sentences: list[Sentence]) -> str:
    """What the reader is told when none of `sentences` may answer `question` (fails the test
    when one may)."""
    result = answerable(question, sentences)
    assert isinstance(result, Refusal), result
    return result.text()
