"""The store lock against a real second process, including after its lock file is deleted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vectorstore.lock import StoreLock

ROOT = Path(__file__).resolve().parents[2]
SECOND = (
    "import sys\n"
    "from pathlib import Path\n"
    "from vectorstore.lock import StoreLock, StoreLockedError\n"
    "try:\n"
    "    StoreLock(Path(sys.argv[1])).acquire()\n"
    "except StoreLockedError as exc:\n"
    "    print(exc)\n"
    "    sys.exit(1)\n"
    "print('opened the store')\n"
)


def second_process(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SECOND, str(folder)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with StoreLock(tmp_path):
        done = second_process(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"in use by another nhsbot process (pid {os.getpid()})" in done.stdout
    assert second_process(tmp_path).returncode == 0  # released


def test_deleting_the_lock_file_does_not_release_the_store(tmp_path: Path) -> None:
    with StoreLock(tmp_path) as lock:
        lock.path.unlink()  # say, a cleanup script, or someone "fixing" a stale lock
        done = second_process(tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr
        # the pid comes from the kernel's lock table when the file is gone
        assert f"(pid {os.getpid()})" in done.stdout
        (tmp_path / "chroma").mkdir()
        (tmp_path / ".nhsbot.lock").write_text("4242")  # a stray file naming someone else
        done = second_process(tmp_path)
        assert done.returncode == 1 and f"(pid {os.getpid()})" in done.stdout
    assert second_process(tmp_path).returncode == 0
