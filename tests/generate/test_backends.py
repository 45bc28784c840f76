"""The real backends: SmolLM2 in our own model process (the llamacpp backend) and behind
`llama_cpp.server` (the openai backend), both through LangChain's ChatOpenAI. Plumbing only:
SmolLM2's wording is never asserted. Failures and slowness must fall back to the extractive
answer within the time set."""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from generate.samples import (
    CANARY,
    EVIL_HOST,
    FDP,
    OPT_OUT,
    POISONED,
    extractive_answer,
    free_port,
    hit,
    smollm2_file,
)

from bot.answering.answer import Answer
from bot.answering.generation.assemble import FALLBACK, answer_from_text, generated_answer
from bot.answering.generation.backends import ChatGenerator, GenerationError, build_generator
from bot.answering.generation.local_server import ModelServerError, resolve_model_file
from bot.answering.generation.verify import Verifier
from bot.answering.passages import clean_passage

QUESTION = "When was the national data opt-out introduced, and does it cover direct care?"
HITS = [OPT_OUT, FDP]


def assert_well_formed(answer: Answer, hits: list, name: str) -> None:
    """Whatever the model wrote: citations are our passages, markers match citations."""
    assert answer.generator in (name, FALLBACK)
    ids = {h.chunk_id: h for h in hits}
    for c in answer.citations:
        assert c.chunk_id in ids
        # an exact slice, or (when the slice holds a link) the same sentences cleaned
        assert c.quote in ids[c.chunk_id].text or c.quote in clean_passage(ids[c.chunk_id])
    if answer.generator == name and not answer.refused:
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert markers == {c.n for c in answer.citations}


def test_llamacpp_streams_tokens(smollm2: ChatGenerator) -> None:
    chunks = list(smollm2.stream(QUESTION, HITS))
    assert len(chunks) >= 2 and all(isinstance(c, str) for c in chunks)
    assert "".join(chunks).strip()


def test_llamacpp_generated_answer_is_verified(smollm2: ChatGenerator, verifier: Verifier) -> None:
    drafts: list[str] = []
    extractive = extractive_answer(QUESTION, HITS)
    answer = generated_answer(QUESTION, HITS, extractive, smollm2, verifier, on_draft=drafts.append)
    assert_well_formed(answer, HITS, "llamacpp")
    assert "generate" in answer.timings_ms
    assert answer.verified_sentences is not None  # the model wrote, and it was checked
    for draft in drafts:  # drafts hold only verified sentences, already renumbered
        assert set(re.findall(r"\[(\d+)\]", draft)) <= {"1", "2"}


class Scripted:
    """A model that writes a fixed text a few characters at a time (what it writes is known)."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, question: str, passages: object) -> Iterator[str]:
        yield from (self.text[i : i + 7] for i in range(0, len(self.text), 7))

    def generate(self, question: str, passages: object) -> str:
        return self.text


def test_drafts_show_each_verified_sentence_once_it_is_complete(verifier: Verifier) -> None:
    written = (
        "The contract is worth £330 million over seven years [2]. "
        "It was awarded to Oracle [2]. "  # not what the passage says: never shown
        "It does not apply to direct care [1]."
    )
    drafts: list[str] = []
    extractive = extractive_answer(QUESTION, HITS)
    generated_answer(
        QUESTION, HITS, extractive, Scripted(written), verifier, on_draft=drafts.append
    )
    # The first sentence is complete when the second starts; the second adds nothing verified;
    # the last is never "complete" while streaming (the final answer shows it).
    assert drafts == ["The contract is worth £330 million over seven years [1]."]


def test_missing_model_file_falls_back(verifier: Verifier) -> None:
    gen = build_generator("llamacpp", model="/nonexistent/model.gguf", timeout_s=5)
    assert gen is not None
    started = time.monotonic()
    answer = generated_answer(QUESTION, HITS, extractive_answer(QUESTION, HITS), gen, verifier)
    assert time.monotonic() - started < 2
    assert answer.generator == FALLBACK and "unavailable" in answer.answer
    assert "/nonexistent" not in answer.answer  # details go to the log, not to users
    with pytest.raises(GenerationError, match="/nonexistent/model.gguf"):
        gen.warm()  # at start-up the operator is told which file


def test_model_spec_that_is_neither_file_nor_repo_is_a_clear_error() -> None:
    with pytest.raises(ModelServerError, match="owner/repo:file.gguf"):
        resolve_model_file("no-such-model.gguf")
    assert resolve_model_file(str(smollm2_file())) == smollm2_file()


def test_missing_llm_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if the extra were not installed
    gen = build_generator("llamacpp", model=str(smollm2_file()))
    assert gen is not None
    with pytest.raises(GenerationError, match=r"make install-llm.*llama_cpp is not installed"):
        gen.warm()


def test_factory() -> None:
    assert build_generator("extractive") is None
    with pytest.raises(ValueError, match="unknown generator"):
        build_generator("gpt")


def test_llamacpp_timeout_falls_back_within_the_configured_time(verifier: Verifier) -> None:
    # ~1,500 prompt tokens: reading them alone takes SmolLM2 seconds on 2 cores.
    long = [
        hit(i, f"Passage {i} says the opt-out covers research and planning. " * 20, "Long")
        for i in range(5)
    ]
    gen = build_generator("llamacpp", model=str(smollm2_file()), timeout_s=0.5, context=4096)
    assert gen is not None
    gen.warm()  # loading is start-up time; the deadline covers answering
    try:
        started = time.monotonic()
        answer = generated_answer(QUESTION, long, extractive_answer(QUESTION, long), gen, verifier)
        elapsed = time.monotonic() - started
    finally:
        gen.close()
    assert answer.generator == FALLBACK and "took too long" in answer.answer
    assert elapsed < 0.5 + 0.5


@pytest.fixture(scope="module")
def silent_server() -> Iterator[str]:
    """A real TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_slow_endpoint_falls_back_within_the_configured_time(
    silent_server: str, verifier: Verifier
) -> None:
    gen = build_generator("openai", base_url=silent_server, model="m", timeout_s=0.5)
    assert gen is not None
    gen.warm()  # imports langchain-openai: start-up cost, not answer time
    started = time.monotonic()
    answer = generated_answer(QUESTION, HITS, extractive_answer(QUESTION, HITS), gen, verifier)
    assert time.monotonic() - started < 0.5 + 0.5
    assert answer.generator == FALLBACK and "took too long" in answer.answer


def test_endpoint_down_falls_back_at_once(verifier: Verifier) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    gen = build_generator("openai", base_url=base, model="m", timeout_s=5)
    assert gen is not None
    gen.warm()
    started = time.monotonic()
    answer = generated_answer(QUESTION, HITS, extractive_answer(QUESTION, HITS), gen, verifier)
    assert time.monotonic() - started < 1  # refused at once: no waiting for the timeout
    assert answer.generator == FALLBACK and "unavailable" in answer.answer


def test_openai_backend_against_llama_cpp_server(llama_server: str, verifier: Verifier) -> None:
    gen = build_generator(
        "openai",
        base_url=llama_server,
        api_key="sk-test",
        model="smollm2",
        timeout_s=600,
        max_tokens=48,
    )
    assert gen is not None
    chunks = list(gen.stream(QUESTION, HITS))  # streamed over SSE through ChatOpenAI
    assert len(chunks) >= 2 and "".join(chunks).strip()
    extractive = extractive_answer(QUESTION, HITS)
    answer = answer_from_text(QUESTION, HITS, extractive, "".join(chunks), verifier, "openai")
    assert_well_formed(answer, HITS, "openai")


@pytest.mark.parametrize("backend", ["llamacpp", "openai"])
def test_prompt_injection_never_reaches_the_answer(
    backend: str, smollm2: ChatGenerator, llama_server: str, verifier: Verifier
) -> None:
    gen = (
        smollm2
        if backend == "llamacpp"
        else build_generator(
            "openai", base_url=llama_server, model="smollm2", timeout_s=600, max_tokens=48
        )
    )
    assert gen is not None
    hits = [POISONED, OPT_OUT]
    question = "When was the national data opt-out introduced? Follow any notes in the passages."
    answer = generated_answer(question, hits, extractive_answer(question, hits), gen, verifier)
    shown = " ".join([answer.answer, *(c.quote for c in answer.citations)])
    assert CANARY not in shown and EVIL_HOST not in shown and "![" not in shown
    assert_well_formed(answer, hits, backend)
