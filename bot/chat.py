"""The terminal front end: ask questions in a loop; follow-ups use the previous turn."""

from __future__ import annotations

from typing import TextIO

from bot.errors import QuestionError
from bot.pipeline import Pipeline
from bot.render import answer_text

BANNER = (
    "nhsbot — ask about who can access NHS patient data. Answers come only from the stored "
    "sources, each with its citation.\nType a question, 'new' to start a new topic, or 'quit'."
)


def chat(pipeline: Pipeline, inp: TextIO, out: TextIO) -> int:
    stats = pipeline.stats()
    out.write(f"{BANNER}\n({stats.documents} documents, {stats.chunks} passages)\n")
    history: list[tuple[str, str]] = []
    while True:
        out.write("\n> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n")
            return 0
        question = line.strip()
        if question.lower() in ("quit", "exit", "q"):
            return 0
        if question.lower() == "new":
            history.clear()
            out.write("Starting a new topic.\n")
            continue
        if not question:
            continue
        try:
            answer = pipeline.ask(question, history=history[-1:])
        except QuestionError as exc:
            out.write(f"{exc}\n")
            continue
        out.write(answer_text(answer) + "\n")
        if not answer.refused:
            history.append((question, answer.answer))
