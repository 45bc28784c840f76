"""`nhsbot ingest` shows progress on a terminal (a pseudo-terminal here), and nothing of it to a
pipe or with `--json`."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from bot.progress_bar import Bar, shortened, terminal_progress
from ingest.progress import Progress

BAR = "/5 documents, "


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.pop("DISCORD_TOKEN", None)
    return {**env, "NHSBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}


def on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `nhsbot ARGS` with stdout and stderr on a pseudo-terminal; its code and output."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args], env=env, stdin=subprocess.DEVNULL,
        stdout=child, stderr=child,
    )  # fmt: skip
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child's side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    return proc.wait(timeout=300), out.decode("utf-8", "replace")


@pytest.fixture
def corpus(tmp_path: Path, fixture_corpus: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, folder)
    return folder


def test_ingest_on_a_terminal_shows_documents_files_and_passages(
    tmp_path: Path, corpus: Path
) -> None:
    code, out = on_terminal(["ingest", str(corpus)], cli_env(tmp_path / "data"))
    assert code == 0, out
    assert BAR in out and "/5 documents" in out and "passages embedded" in out
    assert "5 added, 0 changed, 0 skipped, 0 pruned, 0 failed" in out


def test_json_on_a_terminal_and_pipes_show_no_progress(tmp_path: Path, corpus: Path) -> None:
    env = cli_env(tmp_path / "data")
    code, out = on_terminal(["ingest", "--json", str(corpus)], env)
    assert code == 0 and BAR not in out and "passages embedded" not in out
    (corpus / "more.md").write_text("# More\n\nA new brief about the national data opt-out.\n")
    piped = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", str(corpus)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "1 added, 0 changed, 5 skipped, 0 pruned, 0 failed\n"
    assert piped.stderr == ""  # no bar, no carriage returns, nothing


class Terminal:
    """A text stream that says it is a terminal, keeping what is written to it."""

    def __init__(self, tty: bool = True) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_the_bar_is_drawn_only_on_a_terminal_and_not_when_quiet() -> None:
    for stream, quiet in ((Terminal(tty=False), False), (Terminal(), True)):
        with terminal_progress(stream, quiet=quiet) as progress:  # type: ignore[arg-type]
            assert progress is None
        assert stream.text == ""
    screen = Terminal()
    with terminal_progress(screen) as progress:  # type: ignore[arg-type]
        assert isinstance(progress, Bar)
        progress(Progress(0, 3, "corpus/reports/fdp-contract.md", 0))
        progress(Progress(0, 3, "corpus/reports/fdp-contract.md", 64))  # within REDRAW_S
        progress(Progress(1, 3, "", 120))  # a document done: always drawn
    assert "0/3 documents" in screen.text and "fdp-contract.md" in screen.text
    assert "1/3 documents" in screen.text and "120 passages embedded" in screen.text
    assert "64 passages" not in screen.text


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a.md", "a.md"),
        ("x" * 50 + "/fdp-contract.md", "…" + ("x" * 50 + "/fdp-contract.md")[-39:]),
    ],
)
def test_long_names_keep_their_end(name: str, shown: str) -> None:
    assert shortened(name) == shown and len(shortened(name)) <= 40
