"""Answer generators: a LangChain chat model behind our prompt, always within a deadline.

Two backends, both through langchain-openai's ChatOpenAI: `llamacpp` (a local GGUF file served
by a child process of ours, local_server.py) and `openai` (any OpenAI-compatible endpoint:
OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server). Heavy imports happen on first use.
Every failure (model missing, endpoint down, too slow) is a GenerationError, so the caller can
fall back to the extractive answer instead of hanging an interaction.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from bot.answering.generation import prompt
from bot.answering.generation.local_server import LocalModelServer
from vectorstore.records import Hit

log = logging.getLogger(__name__)

BACKENDS = ("llamacpp", "openai")


class GenerationError(RuntimeError):
    """The model could not answer (missing, unreachable, failed or too slow)."""


class GenerationTimeout(GenerationError):
    """The model did not finish within the configured time."""


class Generator(Protocol):
    """Writes an answer to a question from numbered passages."""

    name: str

    def generate(self, question: str, passages: Sequence[Hit]) -> str: ...

    def stream(self, question: str, passages: Sequence[Hit]) -> Iterator[str]: ...


class ChatGenerator:
    """Our prompt sent to a LangChain chat model, streamed from a worker thread with a deadline.

    The worker thread lets us give up on time whatever the model is doing. A local model (a
    child process: local_server.py) answers one question at a time: the next question waits
    for the one before, but never for one already given up on (llama.cpp's server then drops
    the abandoned request when the next arrives).
    """

    def __init__(
        self,
        name: str,
        make_model: Callable[[], Any],
        *,
        timeout_s: float = 60.0,
        context_tokens: int = 4096,
        max_tokens: int = 256,
        serial: bool = False,
        server: LocalModelServer | None = None,
    ):
        self.name = name
        self.timeout_s = timeout_s
        # ~3 characters a token for English keeps prompt + answer inside the context window.
        self.budget_chars = max(1000, (context_tokens - max_tokens - 300) * 3)
        self.server = server
        self._make_model = make_model
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock() if serial else None
        self._start_error: str | None = None  # why the local model would not start

    def model(self) -> Any:
        """The chat model client, built on first use."""
        with self._load_lock:
            if self._model is None:
                self._model = self._make_model()
            return self._model

    def warm(self) -> None:
        """Start the local model (if any) and build the client now, rather than on the first
        question; GenerationError says why it can't."""
        try:
            if self.server is not None:
                self.server.start()
            self.model()
        except Exception as exc:
            self._start_error = _describe(exc)
            if isinstance(exc, GenerationError):
                raise
            raise GenerationError(self._start_error) from exc
        self._start_error = None

    def close(self) -> None:
        """Stop the local model's process, if this generator started one."""
        if self.server is not None:
            self.server.stop()

    def generate(self, question: str, passages: Sequence[Hit]) -> str:
        """The whole answer text (see `stream`)."""
        return "".join(self.stream(question, passages))

    def stream(self, question: str, passages: Sequence[Hit]) -> Iterator[str]:
        """Tokens as they come; GenerationError on failure or when `timeout_s` runs out."""
        msgs = prompt.messages(question, passages, self.budget_chars)
        deadline = time.monotonic() + self.timeout_s
        turn = self._take_turn(deadline)
        out: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._produce, args=(msgs, out, stop), daemon=True, name=f"generate-{self.name}"
        )
        try:
            self._check_server()
            worker.start()
            while True:
                late = GenerationTimeout(f"no answer within {self.timeout_s:g} s")
                remaining = deadline - time.monotonic()
                if remaining <= 0:  # also while tokens still flow: the deadline is for the answer
                    raise late
                try:
                    kind, value = out.get(timeout=remaining)
                except queue.Empty:
                    raise late from None
                if kind == "token":
                    yield value
                elif kind == "error":
                    cls = GenerationTimeout if isinstance(value, TimeoutError) else GenerationError
                    raise cls(_describe(value)) from value
                else:
                    return
        finally:
            stop.set()  # the worker stops at its next token and closes the stream
            if turn is not None:
                turn.release()

    def _take_turn(self, deadline: float) -> threading.Lock | None:
        """Wait for the model to be free (a serial model); GenerationTimeout at the deadline."""
        lock = self._run_lock
        if lock is not None and not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise GenerationTimeout("the model was busy with other questions until the deadline")
        return lock

    def _check_server(self) -> None:
        """A local model that is (re)starting fails the question at once: no member waits."""
        server = self.server
        if server is None or server.ready:
            return
        if server.started:
            raise GenerationError("the local model is restarting")
        if self._start_error:  # it failed at start-up: answers fall back until `warm` again
            raise GenerationError(self._start_error)
        self.warm()  # never started (no warm-up): start it now

    def _produce(self, msgs: list, out: queue.Queue, stop: threading.Event) -> None:
        try:
            chunks = self.model().stream(msgs)
            try:
                for chunk in chunks:
                    if stop.is_set():
                        break
                    if isinstance(chunk.content, str) and chunk.content:
                        out.put(("token", chunk.content))
            finally:
                chunks.close()  # closes the HTTP stream: the server stops generating
            out.put(("done", None))
        except Exception as exc:  # any failure becomes a fallback, with its cause logged
            out.put(("error", exc))


def _describe(exc: BaseException) -> str:
    """A one-line reason for logs and notices (never includes keys: we never put them there)."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def openai_model(
    *,
    base_url: str,
    api_key: str,
    model: str,
    timeout_s: float,
    max_tokens: int,
    temperature: float,
    extra_body: dict[str, Any] | None = None,
) -> Any:
    """ChatOpenAI for any OpenAI-compatible endpoint; no retries (the caller falls back)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url or None,
        api_key=api_key or "not-needed",  # local servers accept any key
        model=model,
        timeout=timeout_s,
        max_retries=0,
        max_tokens=max_tokens,
        temperature=temperature,
        streaming=True,
        extra_body=extra_body,
    )


def build_generator(
    kind: str,
    *,
    model: str = "",
    base_url: str = "",
    api_key: str = "",
    timeout_s: float = 60.0,
    threads: int = 2,
    context: int = 4096,
    max_tokens: int = 256,
    temperature: float = 0.0,
    data_dir: Path | None = None,
) -> ChatGenerator | None:
    """The generator for `kind` ("extractive" gives None: no model). Models load on first use."""
    if kind in ("", "extractive"):
        return None
    limits: dict[str, Any] = {
        "timeout_s": timeout_s,
        "context_tokens": context,
        "max_tokens": max_tokens,
    }
    if kind == "llamacpp":
        return local_generator(
            model, threads=threads, context=context, data_dir=data_dir, **limits,
            temperature=temperature,
        )  # fmt: skip
    if kind == "openai":
        make_openai = functools.partial(
            openai_model,
            base_url=base_url,
            api_key=api_key,
            model=model or "default",
            timeout_s=timeout_s,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        return ChatGenerator("openai", make_openai, **limits)
    raise ValueError(f"unknown generator {kind!r}: use extractive, {', '.join(BACKENDS)}")


def local_generator(
    spec: str,
    *,
    threads: int,
    context: int,
    data_dir: Path | None,
    timeout_s: float,
    context_tokens: int,
    max_tokens: int,
    temperature: float,
) -> ChatGenerator:
    """A .gguf model served by our own child process (local_server.py), asked over its
    OpenAI-compatible API like any endpoint. The child starts at `warm` (or the first
    question): a missing file or extra is reported then, and answers fall back meanwhile."""
    server = LocalModelServer(
        spec, models_dir=data_dir / "models" if data_dir else None, threads=threads,
        context=context, log_dir=data_dir,
    )  # fmt: skip
    make = functools.partial(
        openai_model,
        base_url=server.base_url,
        api_key="local",
        model="local",
        timeout_s=timeout_s,
        max_tokens=max_tokens,
        temperature=temperature,
        # llama.cpp's server reads max_tokens (ChatOpenAI sends max_completion_tokens), and a
        # repeat penalty pushes a small model off exact names and numbers.
        extra_body={"max_tokens": max_tokens, "repeat_penalty": 1.0},
    )
    # serial: two questions interleaved on 2 cores each take twice as long as one after another
    return ChatGenerator(
        "llamacpp", make, serial=True, server=server, timeout_s=timeout_s,
        context_tokens=context_tokens, max_tokens=max_tokens,
    )  # fmt: skip
