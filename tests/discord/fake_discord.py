"""A fake Discord on 127.0.0.1: gateway v10 (JSON) and the REST routes the bot uses.

The real, unmodified discord.py client connects to it. It records every request, answers an
unknown route with 404 *and* remembers it (tests assert there were none), rejects messages
that break Discord's limits with 400 (remembered too), and builds interactions only from the
commands the bot actually registered.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import fake_payloads as p
from aiohttp import WSMsgType, web
from discord_limits import message_problems

EPHEMERAL = 64
Handler = Callable[[web.Request, "re.Match[str]", Any], Awaitable[web.Response]]


@dataclass
class Recorded:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float = field(default_factory=time.perf_counter)
    status: int = 200

    @property
    def token(self) -> str | None:
        m = re.search(r"/(?:interactions/\d+|webhooks/\d+)/([^/]+)", self.path)
        return m.group(1) if m else None

    @property
    def message(self) -> dict[str, Any]:
        """The message payload, wherever this route carries it."""
        if "/callback" in self.path:
            return dict(self.body.get("data") or {})
        return dict(self.body or {})


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py's login breaks on "; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


class FakeDiscord:
    """One guild with a text channel, a curator role and three members, plus the bot.
    `instances` holds every fake made (tests scan what each was sent)."""

    instances: list[FakeDiscord] = []

    def __init__(self) -> None:
        FakeDiscord.instances.append(self)
        self.app_id = p.snowflake()
        self.guild_id = p.snowflake()
        self.channel_id = p.snowflake()
        self.bot_user = p.user(self.app_id, "nhsbot", bot=True)
        self.curator_role = p.role(p.snowflake(), "Curator")
        self.everyone_role = p.role(self.guild_id, "@everyone", p.MEMBER_PERMISSIONS, 0)
        self.bot_role = p.role(p.snowflake(), "nhsbot", p.BOT_PERMISSIONS, 2)  # from the invite
        self.token: str | None = None  # when set, REST answers 401 to any other token
        self.app_flags = p.MESSAGE_CONTENT_LIMITED  # the application's flags (intents on)
        self.users = {name: p.user(p.snowflake(), name) for name in ("alice", "bob", "carol")}
        self.roles_of = {"alice": [], "bob": [self.curator_role["id"]], "carol": []}
        self.extra_permissions = {"carol": p.MANAGE_GUILD}
        self.requests: list[Recorded] = []
        self.unknown: list[str] = []
        self.problems: list[str] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {self.channel_id: []}
        self.channels: dict[str, dict[str, Any]] = {
            self.channel_id: p.text_channel(self.channel_id, self.guild_id, "general")
        }
        self.interactions: dict[str, dict[str, Any]] = {}
        self.originals: dict[str, dict[str, Any]] = {}  # interaction token → its first message
        self.followups: dict[str, dict[str, Any]] = {}  # message id → follow-up (ephemeral too)
        self.identified = asyncio.Event()
        self.identify: dict[str, Any] = {}
        self.identifies = 0  # sessions started (a reconnect that can't resume starts another)
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._send_lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.port = 0
        from fake_routes import ROUTES  # the REST handlers live in their own module

        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(f"^/api/v10{path}$"), h) for m, path, h in ROUTES
        ]

    # --- server lifetime -------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- REST ------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        body: Any = None
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                form = await request.post()
                body = json.loads(str(form.get("payload_json", "{}")))
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        rec = Recorded(request.method, request.path, dict(request.query), body)
        self.requests.append(rec)
        if self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            rec.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                response = await handler(self, match, rec)  # type: ignore[arg-type]
                rec.status = response.status
                return response
        self.unknown.append(f"{request.method} {request.path}")
        rec.status = 404
        return _json({"message": "404: Not Found (unknown to the fake)", "code": 0}, 404)

    def check(self, rec: Recorded, payload: dict[str, Any]) -> web.Response | None:
        """A 400 like Discord's when `payload` breaks a limit; None when it is fine."""
        problems = message_problems(payload)
        if not problems:
            return None
        self.problems.extend(f"{rec.method} {rec.path}: {x}" for x in problems)
        return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)

    # --- gateway ---------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await self._send({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await self._send({"op": 11})
            elif data["op"] == 2:
                self.identify = data["d"]
                self.identifies += 1
                await self._ready()
            elif data["op"] == 6:
                await self.dispatch("RESUMED", {})
        return ws

    async def _send(self, payload: dict[str, Any]) -> None:
        assert self._ws is not None, "the bot is not connected"
        async with self._send_lock:
            await self._ws.send_str(json.dumps(payload))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await self._send({"op": 0, "t": event, "s": self._seq, "d": data})

    async def _ready(self) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self.identified.set()

    def guild_payload(self) -> dict[str, Any]:
        members = [p.member(self.bot_user, [self.bot_role["id"]])]
        members += [p.member(u, self.roles_of[n]) for n, u in self.users.items()]
        roles = [self.everyone_role, self.curator_role, self.bot_role]
        return p.guild(self.guild_id, self.users["carol"]["id"], roles,
                       [self.channels[self.channel_id]], members)  # fmt: skip

    def find_message(self, channel_id: str, message_id: str) -> dict[str, Any] | None:
        for msg in self.messages.get(channel_id, []):
            if msg["id"] == message_id:
                return msg
        return None

    # --- what tests drive --------------------------------------------------------------------
    def recorded(self, token: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if token is None or r.token == token]

    async def wait_for(
        self, pred: Callable[[Recorded], bool], timeout: float = 20.0, count: int = 1
    ) -> list[Recorded]:
        """The first `count` recorded requests matching `pred`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            hits = [r for r in self.requests if pred(r)]
            if len(hits) >= count:
                return hits
            if time.monotonic() > deadline:
                seen = [f"{r.method} {r.path}" for r in self.requests[-10:]]
                raise AssertionError(f"timed out waiting; last requests: {seen}")
            await asyncio.sleep(0.005)

    def member_payload(self, name: str) -> dict[str, Any]:
        perms = p.MEMBER_PERMISSIONS | self.extra_permissions.get(name, 0)
        return p.member(self.users[name], self.roles_of[name], perms)

    def find_command(self, name: str, kind: int = 1) -> dict[str, Any]:
        """A command exactly as the bot registered it (guild commands first)."""
        for scope in (self.guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == kind:
                    return cmd
        raise AssertionError(f"the bot registered no command {name!r} of type {kind}")

    async def send_interaction(
        self, kind: int, data: dict[str, Any], user: str = "alice", **extra: Any
    ) -> str:
        """Dispatch an INTERACTION_CREATE; returns its token."""
        iid = p.snowflake()
        token = f"tok-{iid}"
        payload = {
            "id": iid,
            "application_id": self.app_id,
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "channel": self.channels[self.channel_id],
            "member": self.member_payload(user),
            "locale": "en-GB",
            "guild_locale": "en-GB",
            "app_permissions": str(p.MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
            **extra,
        }
        self.interactions[token] = payload
        await self.dispatch("INTERACTION_CREATE", payload)
        return token
