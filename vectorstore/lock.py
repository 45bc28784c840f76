"""One process at a time on an embedded Chroma folder (embedded Chroma is not process-safe)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class StoreLockedError(RuntimeError):
    """Another process holds the store."""


class StoreLock:
    """An exclusive, non-blocking lock file beside the store: a second process fails at once.

    `flock` locks die with their process, so a crash never leaves a stale lock behind.
    """

    def __init__(self, folder: Path):
        self.path = folder / ".nhsbot.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"The store in {self.path.parent} is in use by another nhsbot process "
                f"(pid {holder}). Stop that process first, or run a Chroma server and set "
                "NHSBOT_CHROMA_HOST so several processes can share one store."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
