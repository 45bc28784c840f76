"""Several processes, one store: how long after another process writes a document does a running
bot answer from it?

Starts a real `chroma run` on 127.0.0.1 and ingests the corpus into it; runs the real bot in
this process against the loopback fake Discord with NHSBOT_SYNC_SECONDS=S; then, R times,
after a random pause of 0 to S seconds (so writes land anywhere between two checks), a
separate `nhsbot ingest` process adds a new brief while the bot runs, and /ask is asked every
0.25 s until the answer quotes the new brief. Prints, per S, the time from the moment the write
is complete (the new document is in the store's manifest, polled every 0.05 s from this
process) to that answer, and what one refresh of the search index costs.

    .venv/bin/python bench/shared_store.py [--sync 5,60] [--rounds 3] [--corpus corpus]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from chroma_server import ChromaServer  # noqa: E402
from discord_driver import slash  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.discordbot.client import NhsBot, discord_endpoints  # noqa: E402
from bot.discordbot.services import Services  # noqa: E402
from bot.feedback import FeedbackStore  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.store import ChromaStore  # noqa: E402

BRIEF = (
    '---\ntitle: "Bench brief {n}: the {place} eye registry"\npublisher: nhsbot bench\n'
    "published: 2026-03-03\nurl: https://example.org/bench-{n}\n---\n"
    "The {place} eye registry shares clinic records with the {place} eye hospital until "
    "March 20{n:02d}. Patients can leave the registry by writing to the clinic.\n"
)
PLACES = ["Truro", "Carlisle", "Hexham", "Bangor", "Oban", "Penzance", "Ripon", "Wells"]


async def answer_of(fake: FakeDiscord, question: str) -> str:
    token = await slash(fake, "ask", question=question)
    recs = await fake.wait_for(lambda r: r.token == token and "/webhooks/" in r.path, 60)
    return str(recs[0].message["embeds"][0].get("description", ""))


async def stored(store: ChromaStore, documents: int) -> float:
    """When the store's manifest first holds more than `documents` documents."""
    while len(await asyncio.to_thread(store.documents)) <= documents:
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def one_write(
    app: App, fake: FakeDiscord, env: dict[str, str], folder: Path, n: int, pause: float
) -> float:
    """Seconds from another process's write of a new brief to the bot's first answer quoting it."""
    await asyncio.sleep(pause)
    place = PLACES[n % len(PLACES)]
    new = folder / f"round-{n}"
    new.mkdir()
    (new / f"{place.lower()}.md").write_text(BRIEF.format(n=n + 30, place=place))
    written = asyncio.create_task(stored(app.store, len(app.store.documents())))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "ingest", str(new), env=env, cwd=folder,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await proc.wait() == 0, "the ingest process failed"
    question = f"until when does the {place} eye registry share clinic records?"
    while f"March 20{n + 30:02d}" not in await answer_of(fake, question):
        await asyncio.sleep(0.25)
    return time.perf_counter() - await written


async def rounds(
    app: App, settings: Settings, env: dict[str, str], folder: Path, r: int, at: int
) -> list[float]:
    fake = FakeDiscord()
    await fake.start()
    feedback = FeedbackStore(folder / f"feedback-{at}.sqlite3")
    bot = NhsBot(Services(app.answerer, app.library, feedback, settings), guild_ready_timeout=0.05)
    with discord_endpoints(fake.api_base, fake.gateway_url):
        runner = asyncio.create_task(bot.start("bench-token"))
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 30)
            pauses = random.Random(at).uniform
            sync = settings.sync_seconds
            return [
                await one_write(app, fake, env, folder, at + i, pauses(0, sync)) for i in range(r)
            ]
        finally:
            await bot.close()
            await asyncio.gather(runner, return_exceptions=True)
            await fake.close()
            feedback.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sync", default="5,60", help="NHSBOT_SYNC_SECONDS values to try")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = ChromaServer(folder / "chroma")
        server.start()
        try:
            shared = {"chroma_host": "127.0.0.1", "chroma_port": server.port}
            env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
            env.update(NHSBOT_CHROMA_HOST="127.0.0.1", NHSBOT_CHROMA_PORT=str(server.port),
                       NHSBOT_DATA_DIR=str(folder / "ingest-data"), HF_HUB_OFFLINE="1",
                       PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH"))
                                                  if p))  # fmt: skip
            base = Settings(_env_file=None, data_dir=folder / "bot-data", **shared)  # type: ignore[call-arg]
            with open_app(base) as app:
                app.library.ingest([args.corpus])
                started = time.perf_counter()
                app.library.index.refresh()
                refresh_ms = (time.perf_counter() - started) * 1000
                results = {}
                for i, sync in enumerate(float(s) for s in args.sync.split(",")):
                    settings = base.model_copy(update={"sync_seconds": sync, "cooldown_seconds": 0})
                    at = i * args.rounds
                    results[sync] = asyncio.run(rounds(app, settings, env, folder, args.rounds, at))
                chunks = app.library.stats().chunks
        finally:
            server.kill()
    print(f"one bot process, a separate `nhsbot ingest` writing one brief per round, {args.rounds}"
          f" rounds; one index refresh ({chunks} passages): {refresh_ms:.0f} ms")  # fmt: skip
    print(f"{'NHSBOT_SYNC_SECONDS':<22}{'min s':>8}{'median s':>10}{'max s':>8}")
    for sync, times in results.items():
        print(f"{sync:<22g}{min(times):>8.1f}{statistics.median(times):>10.1f}{max(times):>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
