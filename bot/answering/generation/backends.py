"""Answer generators: a LangChain chat model behind our prompt, always within a deadline.

Two backends: `llamacpp` (a local GGUF file through langchain-community's ChatLlamaCpp) and
`openai` (any OpenAI-compatible endpoint through langchain-openai's ChatOpenAI: OpenAI, Ollama,
vLLM, LM Studio, llama.cpp's server). Heavy imports happen only when a model is first used.
Every failure (model missing, endpoint down, too slow) is a GenerationError, so the caller can
fall back to the extractive answer instead of hanging an interaction.
"""

from __future__ import annotations

import functools
import logging
import queue
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from bot.answering.generation import prompt
from vectorstore.records import Hit

log = logging.getLogger(__name__)

BACKENDS = ("llamacpp", "openai")
MISSING_EXTRA = (
    "NHSBOT_LLM=llamacpp needs the llm extra: make install-llm, or pip install -e '.[llm]'"
)
_HF_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+):(?P<file>[\w./-]+\.gguf)$")


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

    The worker thread lets us give up on time even while a local model is still reading the
    prompt (which cannot be interrupted); a local model is used by one question at a time.
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
    ):
        self.name = name
        self.timeout_s = timeout_s
        # ~3 characters a token for English keeps prompt + answer inside the context window.
        self.budget_chars = max(1000, (context_tokens - max_tokens - 300) * 3)
        self._make_model = make_model
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock() if serial else None

    def model(self) -> Any:
        """The chat model, built on first use (loading a GGUF file takes seconds)."""
        with self._load_lock:
            if self._model is None:
                self._model = self._make_model()
            return self._model

    def warm(self) -> None:
        """Import and load the model now (at start-up) rather than on the first question."""
        try:
            self.model()
        except GenerationError:
            raise
        except Exception as exc:
            raise GenerationError(_describe(exc)) from exc

    def generate(self, question: str, passages: Sequence[Hit]) -> str:
        """The whole answer text (see `stream`)."""
        return "".join(self.stream(question, passages))

    def stream(self, question: str, passages: Sequence[Hit]) -> Iterator[str]:
        """Tokens as they come; GenerationError on failure or when `timeout_s` runs out."""
        msgs = prompt.messages(question, passages, self.budget_chars)
        deadline = time.monotonic() + self.timeout_s
        out: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._produce,
            args=(msgs, out, stop, deadline),
            daemon=True,
            name=f"generate-{self.name}",
        )
        worker.start()
        try:
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
            stop.set()  # the worker stops at its next token

    def _produce(
        self, msgs: list, out: queue.Queue, stop: threading.Event, deadline: float
    ) -> None:
        lock = self._run_lock
        try:
            if lock is not None and not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise TimeoutError("the model is busy with another question")
            try:
                chunks = self.model().stream(msgs)
                try:
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        if isinstance(chunk.content, str) and chunk.content:
                            out.put(("token", chunk.content))
                finally:
                    chunks.close()
            finally:
                if lock is not None:
                    lock.release()
            out.put(("done", None))
        except Exception as exc:  # any failure becomes a fallback, with its cause logged
            out.put(("error", exc))


def _describe(exc: BaseException) -> str:
    """A one-line reason for logs and notices (never includes keys: we never put them there)."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def resolve_model_file(spec: str, models_dir: Path | None = None) -> Path:
    """A local .gguf path, or `owner/repo:file.gguf` downloaded once into `models_dir`."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    match = _HF_SPEC.match(spec.strip())
    if not match:
        raise GenerationError(
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
        raise GenerationError(f"could not download {spec}: {_describe(exc)}") from exc
    return Path(local)


def llamacpp_model(
    model_file: Path, *, threads: int, context: int, max_tokens: int, temperature: float
) -> Any:
    """ChatLlamaCpp with the settings that LangChain's defaults get wrong (see FACTS.md)."""
    try:
        with warnings.catch_warnings():  # the package's sunset notice: ChatLlamaCpp still works
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.chat_models import ChatLlamaCpp
        import llama_cpp  # noqa: F401  (ChatLlamaCpp imports it only when built)
    except ImportError as exc:
        raise GenerationError(f"{MISSING_EXTRA} ({exc.name} is not installed)") from exc
    return ChatLlamaCpp(
        model_path=str(model_file),
        n_ctx=context,  # default 512 cuts RAG prompts
        n_batch=min(512, context),  # default 8 makes prompt reading slow
        n_threads=threads,  # llama-cpp's default here is 1
        rope_freq_base=0,  # 0 = the file's own value; LangChain's 10000 breaks Qwen
        temperature=temperature,  # LangChain's default is 0.8
        repeat_penalty=1.0,  # a penalty pushes the model off exact names and numbers
        max_tokens=max_tokens,
        streaming=True,
        verbose=False,
    )


def openai_model(
    *,
    base_url: str,
    api_key: str,
    model: str,
    timeout_s: float,
    max_tokens: int,
    temperature: float,
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
        models_dir = data_dir / "models" if data_dir else None

        def make() -> Any:
            path = resolve_model_file(model, models_dir)
            log.info("loading local model %s", path.name)
            sampling = {"max_tokens": max_tokens, "temperature": temperature}
            return llamacpp_model(path, threads=threads, context=context, **sampling)

        # serial: two questions interleaved on 2 cores each take twice as long as one after another
        return ChatGenerator("llamacpp", make, serial=True, **limits)
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
