"""The `nhsbot` command: parse, call the library, print. `--json` output is a stable contract."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, BinaryIO, TextIO

from pydantic import ValidationError

from bot import doctor
from bot.answering.pipeline import Answerer
from bot.answering.question import QuestionError
from bot.answering.stance import ClaimChecker
from bot.app import App, open_app, warm, warm_up
from bot.eval_command import add_eval_parser, cmd_eval
from bot.follow import StoreFollower, follow_seconds
from bot.gaps import Gaps
from bot.progress_bar import terminal_progress
from bot.settings import Settings
from bot.terminal import answer_text, chat, gaps_text
from ingest.addresses import is_web_address
from ingest.sources_file import SourcesError, load_sources
from ingest.sync import SyncReport
from vectorstore.lock import StoreLockedError
from vectorstore.store import StoreUnavailableError

log = logging.getLogger(__name__)

# Exit codes (README: "Exit codes").
EXIT_OK = 0  # done: every document stored (or unchanged), every question answered or refused
EXIT_FAILED = 1  # nothing done: the store is locked or unreachable, or no document was stored
EXIT_USAGE = 2  # a bad argument, setting or question (in a stream: at least one line)
EXIT_SOME_FAILED = 3  # some documents failed (each reported), the rest were stored
EXIT_BROKEN_PIPE = 141  # the output was closed early (as a program stopped by SIGPIPE)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nhsbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add new and changed documents to the store")
    p.add_argument(
        "paths", nargs="*", help="files, folders or http(s) URLs (default: the bundled corpus/)"
    )
    p.add_argument(
        "--sources", action="store_true", help="sync every feed, URL and folder in sources.toml"
    )
    p.add_argument(
        "--prune", action="store_true", help="remove stored files now gone from these folders"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("ask", help="answer a question from the sources, with citations")
    p.add_argument("question", help="the question, or - to read one question per line from stdin")
    p.add_argument("--json", action="store_true", help="print the answer as a JSON object")
    p.add_argument("-k", type=int, default=None, help="how many passages to retrieve")

    p = sub.add_parser("check", help="check what a message claims against the sources")
    p.add_argument("message", help="the claim, e.g. 'the FDP contract is worth £480m'")
    p.add_argument("--json", action="store_true", help="print the verdicts as a JSON object")

    p = sub.add_parser("sources", help="list stored documents (matching QUERY)")
    p.add_argument("query", nargs="?", default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=100)

    p = sub.add_parser("gaps", help="questions the sources could not answer, grouped by meaning")
    p.add_argument("--days", type=int, default=None, help="the last N days (default: all kept)")
    p.add_argument("--json", action="store_true", help="print the groups as a JSON object")

    sub.add_parser("chat", help="interactive terminal chat on the same pipeline")
    sub.add_parser("rebuild", help="re-store every fetched web page from its raw copy, offline")

    add_eval_parser(sub)

    sub.add_parser("run", help="start the Discord bot if a token is set, else the terminal chat")

    p = sub.add_parser(
        "doctor", help="check the set-up for `nhsbot run`, with a fix for each problem"
    )
    p.add_argument("--json", action="store_true", help="print the checks as a JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":  # it reads the settings itself: reporting them is its job
        return cmd_doctor(args)
    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. NHSBOT_LLM=gpt: say which setting and why
        print(f"error: invalid setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    try:
        with open_app(settings) as app:
            return COMMANDS[args.command](app, args)
    except (StoreLockedError, StoreUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `nhsbot ask … | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    import bm25s  # noqa: F401  (it sets its own logger to DEBUG on import: import it first)

    # Libraries that chat at INFO about model loading and indexing: keep them to warnings.
    for name in ("bm25s", "sentence_transformers", "transformers", "httpx", "chromadb"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    settings, library = app.settings, app.library
    if args.sources:
        try:
            sources = load_sources(settings.sources_file)
        except SourcesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        with terminal_progress(sys.stderr, quiet=args.json) as progress:
            report = library.ingest_sources(sources, prune=args.prune, progress=progress)
    else:
        targets = args.paths or [str(settings.corpus_dir)]
        urls = [t for t in targets if is_web_address(t)]
        paths = [t for t in targets if t not in urls]
        report = SyncReport()
        if paths:
            with terminal_progress(sys.stderr, quiet=args.json) as progress:
                report = library.ingest(paths, prune=args.prune, progress=progress)
        if urls:
            report.merge(library.ingest_urls(urls))
    return print_report(report, as_json=args.json)


def cmd_rebuild(app: App, args: argparse.Namespace) -> int:
    return print_report(app.library.rebuild(), as_json=False)


def print_report(report: SyncReport, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(asdict(report)))
    else:
        for _, reason in report.failed:
            print(f"failed: {reason}", file=sys.stderr)
        print(report.summary())
    if not report.failed:
        return EXIT_OK
    nothing_done = not (report.added or report.changed or report.skipped or report.pruned)
    return EXIT_FAILED if nothing_done else EXIT_SOME_FAILED


def cmd_ask(app: App, args: argparse.Namespace) -> int:
    warn_if_empty(app)
    warm(app.answerer.generator)
    if args.question == "-":
        return ask_stream(
            app.answerer, sys.stdin.buffer, sys.stdout, args.k, as_json=args.json, gaps=app.gaps
        )
    try:
        question = app.answerer.read(args.question)
        answer = app.answerer.ask(question, k=args.k)
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app.gaps.record(question, answer)
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else answer_text(answer))
    return EXIT_OK


def cmd_check(app: App, args: argparse.Namespace) -> int:
    warn_if_empty(app)
    try:
        checked = ClaimChecker(app.answerer).check(args.message)
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        json.dumps(checked.to_json(), ensure_ascii=False)
        if args.json
        else answer_text(checked.as_answer())
    )
    return EXIT_OK


def ask_stream(
    answerer: Answerer,
    lines: BinaryIO,
    out: TextIO,
    k: int | None,
    *,
    as_json: bool,
    gaps: Gaps | None = None,
) -> int:
    """One question per input line, one answer per output line (JSON when asked): a line that
    can't be asked (blank, too long, not UTF-8) gets an error line, so output lines match
    input lines, and the exit code is 2 at the end.

    The models load once for the whole stream."""
    status = EXIT_OK
    for raw in lines:
        question = raw.rstrip(b"\r\n").decode("utf-8", errors="surrogateescape")
        try:
            read = answerer.read(question)
            answer = answerer.ask(read, k=k)
            if gaps is not None:
                gaps.record(read, answer)
            result: Any = answer.to_json() if as_json else answer_text(answer)
        except QuestionError as exc:
            status = EXIT_USAGE
            shown = question.encode("utf-8", "replace").decode()[:200]
            result = {"question": shown, "error": str(exc)} if as_json else f"error: {exc}"
        out.write((json.dumps(result, ensure_ascii=False) if as_json else result) + "\n")
        out.flush()
    return status


def cmd_sources(app: App, args: argparse.Namespace) -> int:
    docs = app.library.documents(args.query, limit=args.limit)
    if args.json:
        print(json.dumps([asdict(d) for d in docs], ensure_ascii=False))
        return 0
    for d in docs:
        details = ", ".join(p for p in (d.publisher, d.published) if p)
        print(f"{d.title}" + (f" — {details}" if details else ""))
        history = f"ingested {d.ingested_at[:10]}"
        if d.updated_at:
            history += f", changed {d.updated_at[:10]}"
        if d.origin == "url" and d.checked_at:
            history += f", last fetched {d.checked_at[:16].replace('T', ' ')}"
        print(f"    {d.url or d.source}  [{d.origin or 'file'}] ({d.chunks} passages, {history})")
    if not docs:
        print("No documents match." if args.query else "The store is empty: run `nhsbot ingest`.")
    return 0


def cmd_chat(app: App, args: argparse.Namespace) -> int:
    ensure_corpus(app)
    warm_up(app)
    return chat(app.answerer, app.library.stats(), sys.stdin, sys.stdout, app.gaps, follower(app))


def cmd_gaps(app: App, args: argparse.Namespace) -> int:
    if args.days is not None and args.days < 1:
        print("error: --days must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    report = app.gaps.report(args.days)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(gaps_text(report), file=sys.stdout if report.enabled else sys.stderr)
    return EXIT_OK


def cmd_run(app: App, args: argparse.Namespace) -> int:
    ensure_corpus(app)
    warm_up(app)  # before connecting: the first member's question waits for no model
    if app.settings.discord_token.get_secret_value():
        from bot.discordbot.client import run_bot

        return run_bot(app)
    print("No Discord token set (DISCORD_TOKEN): starting the terminal chat.", file=sys.stderr)
    return chat(app.answerer, app.library.stats(), sys.stdin, sys.stdout, app.gaps, follower(app))


def follower(app: App) -> StoreFollower:
    """Picks up other processes' writes to a shared (server) store; off for the embedded one."""
    return StoreFollower(app.library, follow_seconds(app.settings))


def warn_if_empty(app: App) -> None:
    """Every answer from an empty store is a refusal: say why, once, beside the output."""
    if app.library.stats().documents == 0:
        print(
            "warning: the store is empty, so nothing can be answered: run `nhsbot ingest "
            "corpus` (or `nhsbot run`, which ingests the bundled corpus).",
            file=sys.stderr,
        )


def ensure_corpus(app: App) -> None:
    """An empty store gets the bundled corpus, so a first run has something to answer from."""
    corpus = app.settings.corpus_dir
    if app.library.stats().documents == 0 and corpus.is_dir():
        print(f"The store is empty: ingesting {corpus}/ …", file=sys.stderr)
        with terminal_progress(sys.stderr) as progress:
            report = app.library.ingest([corpus], progress=progress)
        print(report.summary(), file=sys.stderr)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check each piece `nhsbot run` needs: 0 when none fails, 2 for settings that don't
    parse, 1 for any other failure (README: "Checking a set-up")."""
    logging.basicConfig(level="ERROR", stream=sys.stderr)  # the findings say what went wrong
    checks = doctor.run_checks()
    if args.json:
        print(json.dumps(doctor.to_json(checks), ensure_ascii=False))
    else:
        print(doctor.render_text(checks))
    if not doctor.failed(checks):
        return EXIT_OK
    return EXIT_USAGE if doctor.settings_failed(checks) else EXIT_FAILED


COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "check": cmd_check,
    "sources": cmd_sources,
    "chat": cmd_chat,
    "rebuild": cmd_rebuild,
    "eval": cmd_eval,
    "gaps": cmd_gaps,
    "run": cmd_run,
}

if __name__ == "__main__":
    sys.exit(main())
