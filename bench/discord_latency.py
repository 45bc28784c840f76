"""Discord latency: INTERACTION_CREATE → defer, and → the answer, against the fake Discord;
and a fresh `nhsbot run` process: start → ready, its first answers, then warm ones.

The first part runs the real bot and a real app (real model, real Chroma) in this process,
connected to the loopback fake Discord used by the tests; asks N questions with C in flight at
once and prints p50/p95 of the time to the defer (Discord's 3 s deadline) and to the first
follow-up. The second starts `nhsbot run` as a new process S times on a store already ingested
(as after a restart) and times process start → ready (the bot's IDENTIFY reaches the gateway:
it can take questions), the first answers (F questions asked at once as soon as it is ready)
and then W warm answers asked one at a time.

    .venv/bin/python bench/discord_latency.py [--questions 50] [--concurrency 10] [--corpus DIR]
                                              [--starts 3] [--first 3] [--warm 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from discord_driver import slash  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.discordbot.client import NhsBot, discord_endpoints  # noqa: E402
from bot.discordbot.services import Services  # noqa: E402
from bot.feedback import FeedbackStore  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS = [
    "how much is the federated data platform contract worth?",
    "who can set the national data opt-out for a child?",
    "what does the SAIL databank hold?",
    "does the opt-out apply in Wales?",
    "who leads the consortium that won the FDP contract?",
    "how can I set the national data opt-out?",
    "who is the data controller for each platform instance?",
    "who runs digital services for the Welsh NHS?",
    "what does privacy enhancing technology do to the data?",
    "when was the FDP contract awarded?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one(fake: FakeDiscord, question: str, gate: asyncio.Semaphore) -> tuple[float, float]:
    async with gate:
        start = time.perf_counter()
        token = await slash(fake, "ask", question=question)
        recs = await fake.wait_for(lambda r: r.token == token and "/webhooks/" in r.path, 120)
        defer = next(r for r in fake.recorded(token) if "/callback" in r.path)
        return (defer.at - start) * 1000, (recs[0].at - start) * 1000


async def run(app: App, data: Path, n: int, concurrency: int) -> list[tuple[float, float]]:
    fake = FakeDiscord()
    await fake.start()
    settings = Settings(_env_file=None, data_dir=data, cooldown_seconds=0,  # type: ignore[call-arg]
                        guild_ids=[int(fake.guild_id)])  # fmt: skip
    feedback = FeedbackStore(data / "feedback.sqlite3")
    services = Services(app.answerer, app.library, feedback, settings)
    bot = NhsBot(services, guild_ready_timeout=0.05)
    with discord_endpoints(fake.api_base, fake.gateway_url):
        return await measure(fake, bot, feedback, n, concurrency)


async def measure(
    fake: FakeDiscord, bot: NhsBot, feedback: FeedbackStore, n: int, concurrency: int
) -> list[tuple[float, float]]:
    runner = asyncio.create_task(bot.start("bench-token"))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        await one(fake, QUESTIONS[0], asyncio.Semaphore(1))  # warm-up, not counted
        gate = asyncio.Semaphore(concurrency)
        return await asyncio.gather(*(one(fake, QUESTIONS[i % len(QUESTIONS)], gate)
                                      for i in range(n)))  # fmt: skip
    finally:
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
        await fake.close()
        feedback.close()
        assert not fake.unknown and not fake.problems, (fake.unknown, fake.problems)


@dataclass
class Start:
    """One fresh `nhsbot run`: ms from process start to ready, and to each answer."""

    ready: float
    first: list[float]
    warm: list[float]


async def fresh_start(data: Path, corpus: Path, first: int, warm: int) -> Start:
    """Start `nhsbot run` on an ingested store, ask `first` questions at once as soon as it is
    ready (its IDENTIFY reached the gateway), then `warm` one at a time; stop it with SIGINT."""
    fake = FakeDiscord()
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.update({
        "DISCORD_TOKEN": "bench-token", "NHSBOT_DISCORD_API_BASE": fake.api_base,
        "NHSBOT_DISCORD_GATEWAY_URL": fake.gateway_url, "NHSBOT_GUILD_IDS": fake.guild_id,
        "NHSBOT_DATA_DIR": str(data), "NHSBOT_CORPUS_DIR": str(corpus),
        "NHSBOT_COOLDOWN_SECONDS": "0", "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
    })  # fmt: skip
    log = (data / "bot.log").open("ab")
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=data, stdout=log, stderr=log
    )
    try:
        waiter = asyncio.create_task(fake.identified.wait())
        exited = asyncio.create_task(proc.wait())
        await asyncio.wait({waiter, exited}, timeout=300, return_when=asyncio.FIRST_COMPLETED)
        assert waiter.done(), f"nhsbot run never connected: see {data / 'bot.log'}"
        exited.cancel()
        ready = (time.perf_counter() - started) * 1000
        gate = asyncio.Semaphore(first)
        firsts = await asyncio.gather(*(one(fake, QUESTIONS[i % len(QUESTIONS)], gate)
                                        for i in range(first)))  # fmt: skip
        one_at_a_time = asyncio.Semaphore(1)
        warms = [await one(fake, QUESTIONS[(first + i) % len(QUESTIONS)], one_at_a_time)
                 for i in range(warm)]  # fmt: skip
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await fake.close()
        log.close()
    assert not fake.unknown and not fake.problems, (fake.unknown, fake.problems)
    return Start(ready, [a for _, a in firsts], [a for _, a in warms])


def print_row(label: str, values: list[float]) -> None:
    print(f"{label:<40}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}"
          f"{max(values):>10.1f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures" / "corpus")
    parser.add_argument("--starts", type=int, default=3, help="fresh processes (0: none)")
    parser.add_argument("--first", type=int, default=3, help="questions asked at once on ready")
    parser.add_argument("--warm", type=int, default=10, help="then asked one at a time")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = Settings(_env_file=None, data_dir=data / "store")  # type: ignore[call-arg]
        with open_app(settings) as app:
            app.library.ingest([args.corpus])
            results = asyncio.run(run(app, data, args.questions, args.concurrency))
        starts = [
            asyncio.run(fresh_start(data / "store", args.corpus.resolve(), args.first, args.warm))
            for _ in range(args.starts)
        ]
    defers = [d for d, _ in results]
    answers = [a for _, a in results]
    where = (
        args.corpus.resolve().relative_to(ROOT)
        if args.corpus.resolve().is_relative_to(ROOT)
        else args.corpus
    )
    print(f"{args.questions} questions, {args.concurrency} at once, corpus {where}/")
    print(f"{'stage':<40}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    print_row("INTERACTION_CREATE → defer", defers)
    print_row("INTERACTION_CREATE → answer", answers)
    if starts:
        print(
            f"\n{args.starts} fresh `nhsbot run` processes on the ingested store: "
            f"{args.first} questions at once on ready, then {args.warm} one at a time"
        )
        print(f"{'stage':<40}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        print_row("process start → ready", [s.ready for s in starts])
        print_row("first answers (asked on ready)", [a for s in starts for a in s.first])
        print_row("warm answers (one at a time)", [a for s in starts for a in s.warm])
    return 0


if __name__ == "__main__":
    sys.exit(main())
