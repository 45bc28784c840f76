"""The checks of what nhsbot talks to: the answer model (a local model process or an
OpenAI-compatible endpoint) and Discord (the token, the intent, each server's permissions)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from bot.discordbot.access import REQUIRED, DiscordAccess, GuildAccess, invite_url
from bot.doctor.results import FAIL, OK, WARN, Check, first_sentence, one_line, within
from bot.settings import Settings
from ingest.redact import redact

NETWORK_TIMEOUT_S = 5.0  # an OpenAI-compatible endpoint
LOCAL_MODEL_TIMEOUT_S = 200.0  # the model process has its own 180 s to load; this is a net
DISCORD_TIMEOUT_S = 15.0  # login, the application and every server, together
MEANWHILE = "until then answers are quoted"
MODEL = "answer model"


# --- the answer model ------------------------------------------------------------------------
def check_answer_model(settings: Settings) -> list[Check]:
    """The configured model answers (an endpoint) or loads (a local .gguf file). A model that
    doesn't fails the check: `nhsbot run` starts, but answers by quoting, not as configured."""
    if settings.llm == "llamacpp":
        return [_local_model(settings)]
    if settings.llm == "openai":
        return [_endpoint(settings)]
    return [Check(MODEL, OK, "extractive: answers quote the sources, no model needed")]


def _local_model(settings: Settings) -> Check:
    spec = settings.llm_model.strip()
    if not spec:
        fix = f"set NHSBOT_LLM_MODEL to a .gguf file, or NHSBOT_LLM=extractive; {MEANWHILE}"
        return Check(MODEL, FAIL, "NHSBOT_LLM=llamacpp but NHSBOT_LLM_MODEL is empty", fix)
    if importlib.util.find_spec("llama_cpp") is None:
        found = "NHSBOT_LLM=llamacpp but llama-cpp-python is not installed"
        fix = (
            f"make install-llm (README: 'The local model, its build and its process'); {MEANWHILE}"
        )
        return Check(MODEL, FAIL, found, fix)
    if not Path(spec).expanduser().is_file():
        if not _is_hub_spec(spec):
            fix = "set NHSBOT_LLM_MODEL to an existing .gguf file, or NHSBOT_LLM=extractive; "
            return Check(MODEL, FAIL, f"model file not found: {spec}", fix + MEANWHILE)
        if not _downloaded(spec, settings.data_dir / "models"):
            found = f"{spec} is not downloaded yet: `nhsbot run` fetches it from Hugging Face"
            fix = "give it a network once, or download the .gguf and set NHSBOT_LLM_MODEL to it"
            return Check(MODEL, WARN, found, fix)
    return _load_local(settings, spec)


def _load_local(settings: Settings, spec: str) -> Check:
    """Start the model in its own process exactly as `nhsbot run` does, then stop it."""
    from bot.answering.generation.backends import GenerationError
    from bot.app import generator_from_settings

    generator = generator_from_settings(settings)
    assert generator is not None and generator.server is not None
    server = generator.server
    try:
        within(LOCAL_MODEL_TIMEOUT_S, generator.warm)
    except (GenerationError, TimeoutError) as exc:
        fix = f"download it again (damaged, or not a GGUF chat model?); its log: {server.log_file}"
        return Check(MODEL, FAIL, f"{spec} does not load: {one_line(exc, 400)}", fix)
    finally:
        generator.close()
    size = server.model_file.stat().st_size / 1e6 if server.model_file else 0
    shown = server.model_file.name if server.model_file else spec
    return Check(MODEL, OK, f"llamacpp: {shown} ({size:.0f} MB) loads in its own process")


def _is_hub_spec(spec: str) -> bool:
    """`owner/repo:file.gguf`, which `nhsbot run` downloads once from Hugging Face."""
    repo, colon, file = spec.partition(":")
    return bool(colon) and repo.count("/") == 1 and file.endswith(".gguf")


def _downloaded(spec: str, models_dir: Path) -> bool:
    from huggingface_hub import try_to_load_from_cache

    repo, _, file = spec.partition(":")
    return isinstance(try_to_load_from_cache(repo, file, cache_dir=str(models_dir)), str)


def _endpoint(settings: Settings) -> Check:
    """An OpenAI-compatible endpoint answers GET /models with our key, and lists our model."""
    import httpx

    base = (settings.llm_base_url or "https://api.openai.com/v1").rstrip("/")
    shown, model = redact(base), settings.llm_model
    key = settings.llm_api_key.get_secret_value() or "not-needed"
    try:
        got = httpx.get(
            f"{base}/models", headers={"Authorization": f"Bearer {key}"}, timeout=NETWORK_TIMEOUT_S
        )
    except httpx.HTTPError as exc:
        found = f"the endpoint {shown} can't be reached ({type(exc).__name__})"
        fix = f"start the model server, or correct NHSBOT_LLM_BASE_URL; {MEANWHILE}"
        return Check(MODEL, FAIL, found, fix)
    if got.status_code in (401, 403):
        found = f"{shown} refused the key (HTTP {got.status_code})"
        return Check(MODEL, FAIL, found, "check NHSBOT_LLM_API_KEY")
    if got.status_code == 404:
        return Check(MODEL, WARN, f"{shown} answers but lists no models: {model!r} not checked")
    if not got.is_success:
        found = f"{shown} answered HTTP {got.status_code} to GET /models"
        return Check(MODEL, FAIL, found, "see the model server's own log")
    try:
        ids = [str(m.get("id")) for m in got.json().get("data", [])]
    except (ValueError, AttributeError):
        ids = []
    if model and ids and model not in ids:
        found = f"{shown} does not serve {model!r} (it lists: {', '.join(ids[:8])})"
        return Check(MODEL, FAIL, found, "set NHSBOT_LLM_MODEL to a model it lists")
    return Check(
        MODEL, OK, f"openai: {shown} answers" + (f" and serves {model!r}" if model else "")
    )


# --- Discord ---------------------------------------------------------------------------------
NO_TOKEN = "no token (DISCORD_TOKEN): `nhsbot run` will start the terminal chat, not the bot"
REJECTED = (
    "reset the token on the Bot page of the Discord Developer Portal and put the new one in "
    "DISCORD_TOKEN"
)
INTENT = (
    "Developer Portal → your application → Bot → Privileged Gateway Intents: turn on Message "
    "Content Intent"
)
GLOBAL = (
    "NHSBOT_GUILD_IDS is empty: commands register globally (up to an hour to show) and no "
    "server's permissions were checked"
)


def check_discord(settings: Settings) -> list[Check]:
    """The token is accepted, the Message Content intent is on, and in each configured server
    the bot has the permissions the README lists. REST only: the gateway is never opened.
    No token is a warning: `nhsbot run` then starts the terminal chat, which works."""
    from bot.discordbot.access import DiscordUnreachableError, TokenRejectedError, discord_access
    from bot.discordbot.client import discord_endpoints

    token = settings.discord_token.get_secret_value().strip()
    if not token:
        return [
            Check(
                "discord",
                WARN,
                NO_TOKEN,
                "to run the bot, set DISCORD_TOKEN (README: 'The Discord bot')",
            )
        ]
    ids = settings.guild_ids
    try:
        with discord_endpoints(settings.discord_api_base):
            access = asyncio.run(discord_access(token, ids, timeout_s=DISCORD_TIMEOUT_S))
    except TokenRejectedError:
        return [Check("discord", FAIL, "Discord rejected DISCORD_TOKEN (401)", REJECTED)]
    except DiscordUnreachableError as exc:
        fix = "check this machine's network (and discordstatus.com), then run doctor again"
        return [Check("discord", FAIL, first_sentence(str(exc)), fix)]
    if not ids:
        servers = [Check("discord server", WARN, GLOBAL, "set it to your server's id (README)")]
    else:
        servers = [c for guild in access.guilds for c in _server(guild, access.app_id)]
    return [_login(access), *servers]


def _login(access: DiscordAccess) -> Check:
    found = f"token accepted: {access.user}"
    if access.message_content:
        return Check("discord", OK, f"{found}; Message Content intent on")
    found += ", but the Message Content intent is off: Discord would refuse the connection"
    return Check("discord", FAIL, found, INTENT)


def _server(guild: GuildAccess, app_id: str) -> list[Check]:
    name, invite = "discord server", invite_url(app_id)
    if guild.error:
        found = f"{guild.guild_id}: can't read it ({guild.error}): the bot is not in it?"
        return [Check(name, FAIL, found, f"invite it: {invite} (or correct NHSBOT_GUILD_IDS)")]
    where = f"{guild.name!r} ({guild.guild_id})"
    roles = ", ".join(guild.role_names) or "@everyone"
    if guild.missing:
        lacks = ", ".join(guild.missing)
        fix = f"Server Settings → Roles → {roles}: turn on {lacks}; or re-invite it: {invite}"
        checks = [Check(name, FAIL, f"{where}: the bot lacks {lacks}", fix)]
    else:
        checks = [Check(name, OK, f"{where}: the bot has the {len(REQUIRED)} permissions it needs")]
    if guild.channels:
        gaps = "; ".join(f"#{ch}: {', '.join(lacks)}" for ch, lacks in guild.channels[:5])
        more = f" and {len(guild.channels) - 5} more" if len(guild.channels) > 5 else ""
        found = f"{where}: a channel's settings take permissions away: {gaps}{more}"
        fix = f"Edit Channel → Permissions → {roles}: allow them, if it should answer there"
        checks.append(Check(name, WARN, found, fix))
    if not guild.members_use_commands:
        found = f"{where}: @everyone lacks Use Application Commands, so most members can't /ask"
        fix = "Server Settings → Roles → @everyone: turn on Use Application Commands"
        checks.append(Check(name, WARN, found, fix))
    return checks
