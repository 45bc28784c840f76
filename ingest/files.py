"""Finding and reading source files without leaving the folders and files we were given.

Folders are walked without following links out of them: a link to a file inside the same
folder is read (once, under its target's name); a link to anything outside it, a link to a
folder, and a broken link are skipped with a reason. FIFOs, devices and sockets are never
opened. Reading re-checks all of that on the open file (it may have changed since the walk),
and refuses a file over the size limit before reading a byte of it.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.documents import LoadError
from ingest.loaders import SUPPORTED

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


@dataclass(frozen=True)
class Candidate:
    """A file to read: `path` as found; `root` is the resolved folder it must stay inside (None
    for a file named explicitly: the caller chose it, even if it is a link); `target` is where
    a link inside the folder leads."""

    path: Path
    root: Path | None = None
    target: Path | None = None


@dataclass(frozen=True)
class Skipped:
    """Something found that will not be read, and why."""

    path: Path
    reason: str


def shown(path: Path | str) -> str:
    """A path as text that is safe to print and log: bytes that are not UTF-8 and control
    characters are shown as escapes (`caf\\xe9.txt`), never passed through."""
    try:
        raw = os.fsencode(path)  # the name's bytes as the file system has them
    except UnicodeError:
        raw = str(path).encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c.encode("unicode_escape").decode() if _control(c) else c for c in text)


def _control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"  # newline, escape, NUL...: not in a shown name


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)")."""
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def discover(paths: Iterable[Path]) -> tuple[list[Candidate], list[Skipped]]:
    """The supported files under `paths` (folders walked, hidden entries skipped) and what was
    skipped, with the reason. Explicit file paths are passed through to be read (an unsupported
    or missing one then fails by name). A file reached twice (say through a link) comes once."""
    found: list[Candidate] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(_walk(path, skipped), key=lambda c: c.path.parts))
        else:
            found.append(Candidate(path))
    unique: dict[Path, Candidate] = {}
    for candidate in found:
        unique.setdefault(_real(candidate.target or candidate.path), candidate)
    return list(unique.values()), skipped


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _walk(top: Path, skipped: list[Skipped]) -> list[Candidate]:
    """The files under the folder `top`; links are not followed out of it, nor into folders."""
    root = top.resolve()
    found: list[Candidate] = []
    pending = [(root, top)]  # (real folder, the name it is shown under)
    while pending:
        folder, shown_as = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(
                Skipped(shown_as, f"skipped: the folder can't be listed ({exc.strerror})")
            )
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = shown_as / entry.name
            try:
                if entry.is_symlink():
                    _link(root, Path(entry.path), path, found, skipped)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), path))
                elif Path(entry.name).suffix.lower() not in SUPPORTED:
                    continue  # unsupported files in a folder are ignored, as ever
                elif entry.is_file(follow_symlinks=False):
                    found.append(Candidate(path, root))
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
                    skipped.append(Skipped(path, f"skipped: {kind_of(mode)}, not a regular file"))
            except OSError as exc:
                skipped.append(Skipped(path, f"skipped: can't be read ({exc.strerror})"))
    return found


def _link(
    root: Path, link: Path, path: Path, found: list[Candidate], skipped: list[Skipped]
) -> None:
    """A link inside a folder: read only if it leads to a regular file in the same folder."""
    try:
        target = link.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError):
        skipped.append(Skipped(path, "skipped: a broken link"))
        return
    if stat.S_ISDIR(mode):
        skipped.append(Skipped(path, "skipped: a link to a folder (not followed)"))
    elif not target.is_relative_to(root):
        skipped.append(Skipped(path, "skipped: a link to a file outside the folder"))
    elif target.suffix.lower() not in SUPPORTED:
        return  # a link to an unsupported file: ignored like the file itself
    elif not stat.S_ISREG(mode):
        skipped.append(Skipped(path, f"skipped: a link to {kind_of(mode)}, not a regular file"))
    else:
        found.append(Candidate(path, root, target))


def read_candidate(candidate: Candidate, max_bytes: int) -> bytes:
    """The bytes of a regular file, or a LoadError: not regular, outside its folder (it may
    have changed since the walk), or larger than `max_bytes` (refused before reading)."""
    name = shown(candidate.path)
    path = candidate.target or candidate.path
    inside = candidate.root is not None
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) if inside else 0
    try:
        mode = (os.lstat(path) if inside else os.stat(path)).st_mode
        if not stat.S_ISREG(mode):  # never open a FIFO, device or socket
            raise LoadError(f"{name}: skipped: {kind_of(mode)}, not a regular file")
        fd = os.open(path, flags)  # O_NONBLOCK: if it became a FIFO since, this can't hang
    except OSError as exc:
        raise LoadError(f"{name}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(f"{name}: skipped: {kind_of(info.st_mode)}, not a regular file")
        if candidate.root is not None and not _opened_inside(fd, candidate.root):
            raise LoadError(f"{name}: skipped: it leads outside the folder")
        if info.st_size > max_bytes:
            raise LoadError(
                f"{name}: the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte "
                "limit; split it or leave it out"
            )
        os.set_blocking(fd, True)
        return _read_at_most(fd, max_bytes, name)
    finally:
        os.close(fd)


def _opened_inside(fd: int, root: Path) -> bool:
    """Whether the file actually opened lies inside `root` (Linux: via /proc; elsewhere the
    walk's check stands)."""
    try:
        real = Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return True
    return real.is_relative_to(root)


def _read_at_most(fd: int, max_bytes: int, name: str) -> bytes:
    parts, size = [], 0
    while chunk := os.read(fd, 1 << 20):
        size += len(chunk)
        if size > max_bytes:  # it grew after the size check
            raise LoadError(f"{name}: the file is over the {max_bytes:,}-byte limit")
        parts.append(chunk)
    return b"".join(parts)
