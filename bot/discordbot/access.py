"""What the bot may do on Discord, asked over REST without connecting to the gateway (for
`nhsbot doctor`): whether the token is accepted, whether the Message Content intent is on, and
in each configured server which of the permissions the README lists its roles grant.

The permission arithmetic is pure (Discord's documented algorithm: @everyone, then the
member's roles, Administrator grants all, the owner has all; then channel overwrites).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The permissions the bot needs where it answers (README: "Invite it to your server").
REQUIRED: dict[str, int] = {
    "View Channels": 1 << 10,
    "Send Messages": 1 << 11,
    "Embed Links": 1 << 14,
    "Read Message History": 1 << 16,
    "Create Public Threads": 1 << 35,
    "Send Messages in Threads": 1 << 38,
}
REQUIRED_BITS = sum(REQUIRED.values())  # 309237730304, the invite link's permissions
ADMINISTRATOR = 1 << 3
USE_APPLICATION_COMMANDS = 1 << 31  # members need it (on @everyone by default) to use /ask
ALL = (1 << 53) - 1
# Application flags: the Message Content intent, verified (100+ servers) or not.
MESSAGE_CONTENT = (1 << 18) | (1 << 19)
TEXT_CHANNELS = (0, 5)  # text and announcement channels


class TokenRejectedError(Exception):
    """Discord answered 401 to the token."""


class DiscordUnreachableError(Exception):
    """Discord did not answer (network, an outage) within the deadline, or answered with an
    error."""


def invite_url(app_id: str) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={app_id}"
        f"&scope=bot+applications.commands&permissions={REQUIRED_BITS}"
    )


def missing(perms: int) -> list[str]:
    """The README's permissions that `perms` lacks, in the README's order."""
    return [name for name, bit in REQUIRED.items() if not perms & bit]


def guild_permissions(guild: Mapping[str, Any], role_ids: Iterable[str], user_id: str) -> int:
    """A member's server-wide permissions: @everyone's, then each of their roles'."""
    if str(guild.get("owner_id")) == str(user_id):
        return ALL
    roles = {str(r["id"]): int(r.get("permissions") or 0) for r in guild.get("roles", [])}
    perms = roles.get(str(guild["id"]), 0)
    for role_id in role_ids:
        perms |= roles.get(str(role_id), 0)
    return ALL if perms & ADMINISTRATOR else perms


def channel_permissions(
    base: int, channel: Mapping[str, Any], guild_id: str, role_ids: Iterable[str], user_id: str
) -> int:
    """`base` (server-wide) after the channel's overwrites: @everyone, roles, then the member."""
    if base & ADMINISTRATOR or base == ALL:
        return base
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}

    def apply(perms: int, allow: int, deny: int) -> int:
        return (perms & ~deny) | allow

    perms = base
    if (everyone := overwrites.get(str(guild_id))) is not None:
        perms = apply(perms, int(everyone["allow"]), int(everyone["deny"]))
    allow = deny = 0
    for role_id in role_ids:
        if (o := overwrites.get(str(role_id))) is not None:
            allow, deny = allow | int(o["allow"]), deny | int(o["deny"])
    perms = apply(perms, allow, deny)
    if (own := overwrites.get(str(user_id))) is not None:
        perms = apply(perms, int(own["allow"]), int(own["deny"]))
    return perms


@dataclass(frozen=True)
class GuildAccess:
    """What the bot may do in one server; `error` says why it could not be read."""

    guild_id: int
    name: str = ""
    error: str = ""
    missing: tuple[str, ...] = ()
    role_names: tuple[str, ...] = ()  # the bot's own roles, for the fix line
    # text channels the bot can see but where an overwrite takes a needed permission away
    channels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    members_use_commands: bool = True  # @everyone may use application commands


@dataclass(frozen=True)
class DiscordAccess:
    user: str  # the bot's name and id
    app_id: str
    message_content: bool
    guilds: tuple[GuildAccess, ...]


async def discord_access(
    token: str, guild_ids: Sequence[int], *, timeout_s: float = 15.0
) -> DiscordAccess:
    """Log in over REST (GET /users/@me), read the application and each server.
    TokenRejectedError on 401; DiscordUnreachableError when Discord does not answer in time."""
    import aiohttp
    import discord

    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        return await asyncio.wait_for(_read(http, token, guild_ids), timeout_s)
    except discord.LoginFailure:
        raise TokenRejectedError("Discord rejected the token (401 Unauthorized)") from None
    except discord.HTTPException as exc:  # an outage (5xx after discord.py's retries), …
        raise DiscordUnreachableError(f"Discord answered HTTP {exc.status} ({exc.text})") from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, TimeoutError) else exc
        raise DiscordUnreachableError(f"Discord can't be reached ({reason})") from exc
    finally:
        await http.close()


async def _read(http: Any, token: str, guild_ids: Sequence[int]) -> DiscordAccess:
    me = await http.static_login(token)
    app = await http.application_info()
    guilds = [await _guild(http, guild_id, str(me["id"])) for guild_id in guild_ids]
    return DiscordAccess(
        user=f"{me.get('username', '?')} (id {me['id']})",
        app_id=str(app.get("id") or me["id"]),
        message_content=bool(int(app.get("flags") or 0) & MESSAGE_CONTENT),
        guilds=tuple(guilds),
    )


async def _guild(http: Any, guild_id: int, user_id: str) -> GuildAccess:
    import discord

    try:
        guild = await http.get_guild(guild_id, with_counts=False)
        member = await http.get_member(guild_id, user_id)
        channels = await http.get_all_guild_channels(guild_id)
    except (discord.Forbidden, discord.NotFound) as exc:
        return GuildAccess(guild_id, error=f"{exc.status} {exc.text or 'no access'}")
    role_ids = [str(r) for r in member.get("roles", [])]
    base = guild_permissions(guild, role_ids, user_id)
    names = {str(r["id"]): str(r["name"]) for r in guild.get("roles", [])}
    everyone = guild_permissions(guild, [], "")  # what @everyone alone may do
    return GuildAccess(
        guild_id,
        name=str(guild.get("name", "")),
        missing=tuple(missing(base)),
        role_names=tuple(names[r] for r in role_ids if r in names),
        channels=tuple(_channel_gaps(base, channels, str(guild_id), role_ids, user_id)),
        members_use_commands=bool(everyone & USE_APPLICATION_COMMANDS),
    )


def _channel_gaps(
    base: int, channels: Iterable[Mapping[str, Any]], guild_id: str, role_ids: list[str], uid: str
) -> Iterable[tuple[str, tuple[str, ...]]]:
    """(name, permissions missing there) for each text channel the bot can see but where an
    overwrite takes away something it needs; channels it can't see are left alone on purpose."""
    for channel in channels:
        if channel.get("type") not in TEXT_CHANNELS:
            continue
        perms = channel_permissions(base, channel, guild_id, role_ids, uid)
        gaps = [name for name in missing(perms) if REQUIRED[name] & base]  # server-wide: said
        if perms & REQUIRED["View Channels"] and gaps:
            yield str(channel.get("name", channel.get("id"))), tuple(gaps)
