"""The REST routes the fake Discord knows; anything else is an unknown route (a test failure)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import fake_payloads as p
from aiohttp import web
from fake_discord import EPHEMERAL, Recorded, _json

if TYPE_CHECKING:
    from fake_discord import FakeDiscord

Match = re.Match[str]


async def get_me(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    return _json(fake.bot_user)


async def get_application(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    owner = fake.users["carol"]
    return _json({
        "id": fake.app_id, "name": "nhsbot", "description": "", "icon": None,
        "bot_public": True, "bot_require_code_grant": False, "owner": owner,
        "verify_key": "0" * 64, "flags": fake.app_flags, "team": None,
    })  # fmt: skip


def _scope(m: Match) -> str | None:
    return m.groupdict().get("guild")


async def put_commands(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    """Bulk overwrite: echo each command with the ids Discord would give it."""
    registered = []
    for cmd in rec.body:
        registered.append({
            "description": "", "options": [], "default_member_permissions": None, "nsfw": False,
            **cmd, "id": p.snowflake(), "application_id": fake.app_id, "version": p.snowflake(),
            "type": cmd.get("type", 1), **({"guild_id": _scope(m)} if _scope(m) else {}),
        })  # fmt: skip
    fake.commands[_scope(m)] = registered
    return _json(registered)


async def get_commands(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    return _json(fake.commands.get(_scope(m), []))


def _bot_message(fake: FakeDiscord, channel_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    reference = None
    ref = payload.get("message_reference")
    if ref:
        reference = fake.find_message(channel_id, str(ref["message_id"]))
    msg = p.message(
        channel_id, fake.bot_user, payload.get("content") or "", guild_id=fake.guild_id,
        embeds=payload.get("embeds"), components=payload.get("components"),
        reference=reference, flags=int(payload.get("flags") or 0),
    )  # fmt: skip
    return msg


async def interaction_callback(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    token = m["token"]
    inter = fake.interactions.get(token)
    if inter is None or inter["id"] != m["id"]:
        return _json({"message": "Unknown interaction", "code": 10062}, 404)
    kind = rec.body["type"]
    data = rec.body.get("data") or {}
    if kind in (4, 7) and (bad := fake.check(rec, data)):
        return bad
    flags = int(data.get("flags") or 0)
    resource: dict[str, Any] = {"type": kind}
    if kind in (4, 7):
        msg = _bot_message(fake, inter["channel_id"], data)
        msg["interaction_token"] = token
        fake.originals[token] = msg
        if not flags & EPHEMERAL:
            fake.messages[inter["channel_id"]].append(msg)
        resource["message"] = msg
    meta = {
        "id": inter["id"], "type": inter["type"], "response_message_loading": kind == 5,
        "response_message_ephemeral": bool(flags & EPHEMERAL),
    }  # fmt: skip
    return _json({"interaction": meta, "resource": resource})


async def followup(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    inter = fake.interactions.get(m["token"])
    if inter is None:
        return _json({"message": "Unknown Webhook", "code": 10015}, 404)
    if bad := fake.check(rec, rec.body):
        return bad
    msg = _bot_message(fake, inter["channel_id"], rec.body)
    msg["webhook_id"] = fake.app_id
    msg["interaction_token"] = m["token"]
    fake.followups[msg["id"]] = msg
    if not int(rec.body.get("flags") or 0) & EPHEMERAL:
        fake.messages[inter["channel_id"]].append(msg)
    return _json(msg)


def _edit(msg: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A message changed in place by a PATCH: only the fields it sends (null clears content)."""
    for key in ("content", "embeds", "components"):
        if key in body:
            msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
    msg["edited_timestamp"] = p.now_iso()
    return msg


async def edit_followup(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    msg = fake.followups.get(m["message"])
    if msg is None or msg.get("interaction_token") != m["token"]:
        return _json({"message": "Unknown Message", "code": 10008}, 404)
    if rec.method == "DELETE":
        del fake.followups[m["message"]]
        for msgs in fake.messages.values():
            msgs[:] = [x for x in msgs if x["id"] != m["message"]]
        return web.Response(status=204)
    if bad := fake.check(rec, {**msg, **rec.body}):
        return bad
    return _json(_edit(msg, rec.body))


async def edit_message(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    msg = fake.find_message(m["channel"], m["message"])
    if msg is None:
        return _json({"message": "Unknown Message", "code": 10008}, 404)
    if msg["author"]["id"] != fake.app_id:
        return _json({"message": "Cannot edit another user's message", "code": 50005}, 403)
    if rec.method == "DELETE":
        fake.messages[m["channel"]].remove(msg)
        return web.Response(status=204)
    if bad := fake.check(rec, {**msg, **rec.body}):
        return bad
    return _json(_edit(msg, rec.body))


async def original(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    msg = fake.originals.get(m["token"])
    if rec.method == "DELETE":
        fake.originals.pop(m["token"], None)
        return web.Response(status=204)
    if rec.method == "PATCH":
        if bad := fake.check(rec, rec.body):
            return bad
        inter = fake.interactions[m["token"]]
        msg = {**(msg or {}), **_bot_message(fake, inter["channel_id"], rec.body)}
        fake.originals[m["token"]] = msg
    if msg is None:
        return _json({"message": "Unknown Message", "code": 10008}, 404)
    return _json(msg)


async def create_message(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    channel_id = m["channel"]
    if channel_id not in fake.messages:
        return _json({"message": "Unknown Channel", "code": 10003}, 404)
    if bad := fake.check(rec, rec.body):
        return bad
    msg = _bot_message(fake, channel_id, rec.body)
    fake.messages[channel_id].append(msg)
    await fake.dispatch("MESSAGE_CREATE", msg)  # Discord echoes the bot's own messages too
    return _json(msg)


async def typing(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    return web.Response(status=204)


async def history(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    msgs = fake.messages.get(m["channel"])
    if msgs is None:
        return _json({"message": "Unknown Channel", "code": 10003}, 404)
    before = int(rec.query.get("before", 1 << 63))
    limit = int(rec.query.get("limit", 50))
    older = [x for x in msgs if int(x["id"]) < before]
    return _json(list(reversed(older))[:limit])


async def get_message(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    msg = fake.find_message(m["channel"], m["message"])
    if msg is None:
        return _json({"message": "Unknown Message", "code": 10008}, 404)
    return _json(msg)


async def thread_from_message(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    """A thread on a message takes the message's id; Discord announces it with THREAD_CREATE."""
    starter = fake.find_message(m["channel"], m["message"])
    if starter is None:
        return _json({"message": "Unknown Message", "code": 10008}, 404)
    name = str(rec.body.get("name") or "")
    if not 1 <= len(name) <= 100:
        fake.problems.append(f"thread name of {len(name)} characters")
        return _json({"message": "Invalid Form Body", "code": 50035}, 400)
    data = p.thread(starter["id"], fake.guild_id, m["channel"], fake.app_id, name)
    fake.channels[data["id"]] = data
    fake.messages[data["id"]] = []
    await fake.dispatch("THREAD_CREATE", {**data, "newly_created": True})
    return _json(data)


def _known_guild(fake: FakeDiscord, m: Match) -> web.Response | None:
    """None for the fake's guild; Discord's 403 for any other (the bot is not in it)."""
    if m["guild"] == fake.guild_id:
        return None
    return _json({"message": "Missing Access", "code": 50001}, 403)


async def get_guild(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    return _known_guild(fake, m) or _json(fake.guild_payload())


async def get_guild_member(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    if bad := _known_guild(fake, m):
        return bad
    for member in fake.guild_payload()["members"]:
        if member["user"]["id"] == m["user"]:
            return _json(member)
    return _json({"message": "Unknown Member", "code": 10007}, 404)


async def get_guild_channels(fake: FakeDiscord, m: Match, rec: Recorded) -> web.Response:
    return _known_guild(fake, m) or _json(list(fake.channels.values()))


ROUTES = [
    ("GET", r"/guilds/(?P<guild>\d+)", get_guild),
    ("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", get_guild_member),
    ("GET", r"/guilds/(?P<guild>\d+)/channels", get_guild_channels),
    ("GET", "/users/@me", get_me),
    ("GET", "/oauth2/applications/@me", get_application),
    ("PUT", r"/applications/(?P<app>\d+)/commands", put_commands),
    ("GET", r"/applications/(?P<app>\d+)/commands", get_commands),
    ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", put_commands),
    ("GET", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", get_commands),
    ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", interaction_callback),
    ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", followup),
    ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", original),
    ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", original),
    ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/@original", original),
    ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>\d+)", edit_followup),
    ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>\d+)", edit_followup),
    ("POST", r"/channels/(?P<channel>\d+)/messages", create_message),
    ("POST", r"/channels/(?P<channel>\d+)/typing", typing),
    ("GET", r"/channels/(?P<channel>\d+)/messages", history),
    ("GET", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", get_message),
    ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", edit_message),
    ("DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", edit_message),
    ("POST", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/threads", thread_from_message),
]
