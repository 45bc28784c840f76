"""A local GGUF model served by a child process that we start, watch and stop.

llama.cpp is native code: a crash in it (an instruction the CPU lacks, a corrupt model file,
no memory for the KV cache) kills the process it runs in. So it runs in a child
(model_process.py) behind an OpenAI-compatible HTTP API on 127.0.0.1, and the bot talks to it
like any other endpoint. The child is started once and health-checked; when it dies after it
was ready, a watcher logs a warning and starts it again, waiting longer after each quick death;
it is stopped with us (and dies with us even when we are killed: see model_process.py).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 180.0  # loading a 1 GB model on a busy 2-core machine
BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 60.0)  # after successive deaths; reset once it stays up
STAYED_UP_S = 60.0  # a child that ran this long counts as healthy again
LOG_TAIL_CHARS = 1500


class ModelServerError(RuntimeError):
    """The local model could not be started (the message names the file and the reason)."""


MISSING_EXTRA = (
    "NHSBOT_LLM=llamacpp needs the llm extra: make install-llm, or pip install -e '.[llm]'"
)
_HF_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+):(?P<file>[\w./-]+\.gguf)$")


def resolve_model_file(spec: str, models_dir: Path | None = None) -> Path:
    """A local .gguf path, or `owner/repo:file.gguf` downloaded once into `models_dir`."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    match = _HF_SPEC.match(spec.strip())
    if not match:
        raise ModelServerError(
            f"model file not found: {spec!r} (give a .gguf path, or 'owner/repo:file.gguf' "
            "to download it once from Hugging Face)"
        )
    from huggingface_hub import hf_hub_download

    try:
        # Cached after the first download; works offline once cached.
        local = hf_hub_download(
            match["repo"], match["file"], cache_dir=str(models_dir) if models_dir else None
        )
    except Exception as exc:
        raise ModelServerError(f"could not download {spec}: {type(exc).__name__}: {exc}") from exc
    return Path(local)


def child_environment() -> dict[str, str]:
    """Our environment, with OpenMP's threads sleeping rather than spinning while they wait:
    spinning threads starve the server's own thread, which hands out each streamed token
    (measured on 2 busy cores: 12-30 s for 48 streamed tokens spinning, ~2 s sleeping)."""
    return {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalModelServer:
    """`model_process` for one .gguf file on a loopback port that stays the same across
    restarts; `base_url` is its OpenAI-compatible API."""

    def __init__(
        self,
        model: str | Path,
        *,
        models_dir: Path | None = None,
        threads: int = 2,
        context: int = 4096,
        log_dir: Path | None = None,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
        backoff_s: tuple[float, ...] = BACKOFF_S,
    ) -> None:
        self.model = str(model)  # a .gguf path, or "owner/repo:file.gguf" to download once
        self.models_dir = models_dir
        self.model_file: Path | None = None  # known once started
        self.threads = threads
        self.context = context
        self.log_file = (log_dir or Path(tempfile.gettempdir())) / "nhsbot-model-server.log"
        self.startup_timeout_s = startup_timeout_s
        self.backoff_s = backoff_s
        self.port = free_port()
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready_at = 0.0
        self._lock = threading.Lock()  # one start or stop at a time
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def started(self) -> bool:
        """Whether it was once ready (a dead child is then being restarted)."""
        return self._watcher is not None and not self._stopping.is_set()

    def start(self) -> None:
        """Start the child and wait until it answers; ModelServerError (naming the model file)
        when the file is missing or the child dies or hangs while loading it. Once started, a
        watcher restarts the child whenever it dies."""
        with self._lock:
            if self._ready.is_set():
                return
            if importlib.util.find_spec("llama_cpp") is None:
                raise ModelServerError(f"{MISSING_EXTRA} (llama_cpp is not installed)")
            self.model_file = resolve_model_file(self.model, self.models_dir)
            self._stopping.clear()
            self._spawn()
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, daemon=True, name="model-watch")
            self._watcher.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether the child is (or becomes) ready within `timeout_s`."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        """Stop the child (and stop restarting it)."""
        self._stopping.set()
        with self._lock:
            self._ready.clear()
            self._terminate()

    # --- the child ---------------------------------------------------------------------------
    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "bot.answering.generation.model_process",
            "--model", str(self.model_file), "--port", str(self.port),
            "--threads", str(self.threads), "--context", str(self.context),
        ]  # fmt: skip

    def _spawn(self) -> None:
        """Start the child and wait for it to answer (under self._lock)."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:  # a file: an unread pipe would fill and block it
            self._proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child_environment(),
            )
        log.info("local model server starting (pid %d, port %d)", self._proc.pid, self.port)
        deadline = time.monotonic() + self.startup_timeout_s
        while not self._answers():
            code = self._proc.poll()
            if code is not None:
                raise ModelServerError(
                    f"the local model server stopped while loading {self.model_file} "
                    f"(exit code {code}): {self._log_tail()}"
                )
            if time.monotonic() > deadline:
                self._terminate()
                raise ModelServerError(
                    f"the local model server did not load {self.model_file} within "
                    f"{self.startup_timeout_s:g} s"
                )
            time.sleep(0.1)
        self._ready_at = time.monotonic()
        self._ready.set()

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def _log_tail(self) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "no log"
        return " ".join(text[-LOG_TAIL_CHARS:].split()) or "no output"

    # --- the watcher -------------------------------------------------------------------------
    def _watch(self) -> None:
        """Restart the child whenever it dies, until `stop`; quick deaths wait longer."""
        deaths = 0
        while not self._stopping.is_set():
            proc = self._proc
            if proc is not None and proc.poll() is None:
                self._stopping.wait(0.2)
                continue
            self._ready.clear()
            stayed_up = time.monotonic() - self._ready_at > STAYED_UP_S
            deaths = 1 if stayed_up else deaths + 1
            wait = self.backoff_s[min(deaths, len(self.backoff_s)) - 1]
            code = proc.returncode if proc is not None else None
            log.warning("the local model server died (exit %s); restarting in %g s", code, wait)
            if self._stopping.wait(wait):
                return
            self._restart()

    def _restart(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            try:
                self._spawn()
            except ModelServerError as exc:
                log.warning("%s", exc)  # the watcher tries again after the next wait
                return
        self.restarts += 1
        log.warning("the local model server is back (restart %d)", self.restarts)
