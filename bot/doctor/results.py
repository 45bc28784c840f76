"""What a check finds (`Check`), and how the findings are shown: a short list, or JSON."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, TypeVar

from ingest.redact import redact

Status = Literal["ok", "warn", "fail"]
OK: Status = "ok"
WARN: Status = "warn"
FAIL: Status = "fail"
LABELS = {OK: "ok", WARN: "warn", FAIL: "FAIL"}
T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One finding: `fix` is one line saying what to do (empty when there is nothing to do)."""

    name: str
    status: Status
    found: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def failed(checks: Iterable[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


def render_text(checks: Sequence[Check]) -> str:
    """One line per check (`ok`, `warn`, `FAIL`), its fix under it, then a one-line verdict."""
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{LABELS[c.status]:<4}  {c.name:<{width}}  {c.found}")
        if c.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {c.fix}")
    lines += ["", verdict(checks)]
    return "\n".join(lines)


def verdict(checks: Sequence[Check]) -> str:
    fails = sum(c.status == FAIL for c in checks)
    warns = sum(c.status == WARN for c in checks)
    if fails:
        return f"{plural(fails, 'problem')} to fix before `nhsbot run`."
    note = f" ({plural(warns, 'warning')} above)" if warns else ""
    return f"Ready for `nhsbot run`{note}."


def to_json(checks: Sequence[Check]) -> dict[str, Any]:
    """The stable `--json` shape: {"ok": bool, "checks": [{name, status, found, fix}]}."""
    return {"ok": not failed(checks), "checks": [c.to_json() for c in checks]}


def scrub(checks: Iterable[Check], secrets: Sequence[str]) -> list[Check]:
    """The checks with every secret (the token, API keys) replaced by ***, wherever it got in,
    and user:password@ cut from URLs."""
    secrets = [s for s in secrets if len(s) >= 4]

    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return redact(text)

    return [replace(c, found=clean(c.found), fix=clean(c.fix)) for c in checks]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one short line: its type and message."""
    text = " ".join(str(exc).split())[:limit]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def first_sentence(text: str) -> str:
    """A user-facing error message's first sentence (what went wrong; our fix follows)."""
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


class DeadlineExceeded(TimeoutError):
    """A check's job did not finish in time."""


def within(seconds: float, job: Callable[[], T]) -> T:
    """`job()` in a daemon thread; DeadlineExceeded if it has not finished in `seconds` (the
    thread is left behind and dies with the process)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = job()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="doctor-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
