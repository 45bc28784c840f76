"""Plain helpers shared by tests (conftest modules can't be imported by name reliably)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: no .env, the given data dir and overrides."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]
