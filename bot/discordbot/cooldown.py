"""A per-user cooldown shared by every command that runs the pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable


class Cooldown:
    """Allows one expensive request per user every `seconds`; `clock` is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 and the use is recorded when the user may go ahead, else seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self.clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget users whose cooldown is long over
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0

    @staticmethod
    def message(wait: float) -> str:
        return f"One question at a time, please: try again in {max(wait, 1):.0f} s."
