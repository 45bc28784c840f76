"""Discord latency: INTERACTION_CREATE → defer, and → the answer, against the fake Discord.

Runs the real bot and a real app (real model, real Chroma) in this process, connected to
the loopback fake Discord used by the tests; asks N questions with C in flight at once and
prints p50/p95 of the time to the defer (Discord's 3 s deadline) and to the first follow-up.

    .venv/bin/python bench/discord_latency.py [--questions 50] [--concurrency 10] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures" / "corpus")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        settings = Settings(_env_file=None, data_dir=data / "store")  # type: ignore[call-arg]
        with open_app(settings) as app:
            app.library.ingest([args.corpus])
            results = asyncio.run(run(app, data, args.questions, args.concurrency))
    defers = [d for d, _ in results]
    answers = [a for _, a in results]
    where = (
        args.corpus.resolve().relative_to(ROOT)
        if args.corpus.resolve().is_relative_to(ROOT)
        else args.corpus
    )
    print(f"{args.questions} questions, {args.concurrency} at once, corpus {where}/")
    print(f"{'stage':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for label, values in (("INTERACTION_CREATE → defer", defers),
                          ("INTERACTION_CREATE → answer", answers)):  # fmt: skip
        print(f"{label:<28}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}"
              f"{max(values):>10.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
