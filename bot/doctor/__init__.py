"""`nhsbot doctor`: check a set-up piece by piece and say, for each problem, how to fix it.

Each check is a small function of the settings that returns findings (`Check`: a name,
ok/warn/fail, what it found and the fix in one line). They don't go through `open_app`:
settings that don't parse are reported (and nothing else is checked), a store held by a
running bot is reported with its holder, and everything that waits on something else (a Chroma
server, a model, Discord) has a deadline. Nothing is written: a store is only opened if it
exists, and no collection is created.

"fail" means `nhsbot run` would not work as configured; "warn" means it works, but read this
(no Discord token: `run` starts the terminal chat; a store held by a running bot).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.doctor.local import (
    check_embeddings,
    check_settings,
    check_sources,
    check_store,
)
from bot.doctor.remote import check_answer_model, check_discord
from bot.doctor.results import FAIL, Check, failed, one_line, render_text, scrub, to_json
from bot.settings import Settings

__all__ = ["Check", "failed", "render_text", "run_checks", "settings_failed", "to_json"]

# In the order a set-up is built: where answers come from, how, then where they go.
CHECKS: tuple[tuple[str, Callable[[Settings], list[Check]]], ...] = (
    ("store", check_store),
    ("embeddings", check_embeddings),
    ("answer model", check_answer_model),
    ("discord", check_discord),
    ("sources", check_sources),
)


def run_checks(read_settings: Callable[[], Settings] = Settings) -> list[Check]:
    """Every check, in order; only the settings check when the settings don't parse."""
    first, settings = check_settings(read_settings)
    if settings is None:
        return [first]
    checks = [first]
    for name, step in CHECKS:
        try:
            checks.extend(step(settings))
        except Exception as exc:  # a check that breaks is reported, and the others still run
            found = f"the check itself failed: {one_line(exc)}"
            checks.append(Check(name, FAIL, found, "please report this, with the line above"))
    secrets = [settings.discord_token.get_secret_value(), settings.llm_api_key.get_secret_value()]
    return scrub(checks, secrets)


def settings_failed(checks: list[Check]) -> bool:
    """Whether the settings did not parse (the CLI's exit code for a bad setting is 2)."""
    return checks[0].name == "settings" and checks[0].status == FAIL
