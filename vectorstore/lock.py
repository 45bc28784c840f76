"""One process at a time on an embedded Chroma folder (embedded Chroma is not process-safe)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class StoreLockedError(RuntimeError):
    """Another process holds the store."""


class StoreLock:
    """An exclusive, non-blocking lock on the store's folder: a second process fails at once.

    The lock is taken on the folder itself (an open directory descriptor), so deleting the
    `.nhsbot.lock` file beside the store can't release it; that file only says which process
    holds the lock, and a second lock on it keeps older nhsbot versions out too. `flock` locks
    die with their process, so a crash never leaves a stale lock behind.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / ".nhsbot.lock"
        self._fds: list[int] = []

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock(os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)))
            self._lock(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644))
        except BlockingIOError:
            self.release()
            raise StoreLockedError(
                f"The store in {self.folder} is in use by another nhsbot process "
                f"(pid {self._holder()}). Stop that process first, or run a Chroma server and "
                "set NHSBOT_CHROMA_HOST so several processes can share one store."
            ) from None
        fd = self._fds[-1]
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())

    def _lock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise
        self._fds.append(fd)

    def _holder(self) -> str:
        """The pid the kernel lists for the folder's lock (Linux /proc/locks), else the one
        written in the lock file, else "unknown"."""
        try:
            written = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            written = ""
        return _locker_of(self.folder) or (written if written.isdigit() else "unknown")

    def release(self) -> None:
        for fd in reversed(self._fds):
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._fds = []

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


def _locker_of(path: Path) -> str:
    """The pid holding a flock on `path`, from /proc/locks ("" where that is not available)."""
    try:
        info = os.stat(path)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return ""
    found = []  # (same device?, pid) of flocks on this inode
    for line in lines:
        fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[5].count(":") != 2:
            continue
        major, minor, inode = fields[5].split(":")
        if inode == str(info.st_ino):
            same = os.makedev(int(major, 16), int(minor, 16)) == info.st_dev
            found.append((same, fields[4]))
    return max(found)[1] if found else ""  # overlay filesystems may report another device
