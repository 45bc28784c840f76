"""What a member does, as the gateway events Discord would send for it."""

from __future__ import annotations

from typing import Any

import fake_payloads as p
from fake_discord import FakeDiscord

OPTION_TYPES = {str: 3, int: 4, bool: 5}


def _options(command: dict[str, Any], given: dict[str, Any], focused: str = "") -> list[dict]:
    """Options as Discord sends them, checked against the command's registered options."""
    declared = {o["name"]: o for o in command.get("options", [])}
    unknown = set(given) - set(declared)
    assert not unknown, f"/{command['name']} has no option(s) {unknown}"
    missing = [n for n, o in declared.items() if o.get("required") and n not in given]
    assert not missing, f"/{command['name']} requires {missing}"
    out = []
    for name, value in given.items():
        assert declared[name]["type"] == OPTION_TYPES[type(value)], f"{name} has another type"
        option = {"name": name, "type": declared[name]["type"], "value": value}
        if name == focused:
            assert declared[name].get("autocomplete"), f"{name} has no autocomplete"
            option["focused"] = True
        out.append(option)
    return out


async def slash(fake: FakeDiscord, name: str, user: str = "alice", **options: Any) -> str:
    """Run /name with `options` as `user`; returns the interaction token."""
    cmd = fake.find_command(name)
    data = {"id": cmd["id"], "name": name, "type": 1, "options": _options(cmd, options)}
    data["guild_id"] = fake.guild_id
    return await fake.send_interaction(2, data, user)


async def autocomplete(fake: FakeDiscord, name: str, option: str, value: str) -> str:
    cmd = fake.find_command(name)
    data = {"id": cmd["id"], "name": name, "type": 1, "guild_id": fake.guild_id}
    data["options"] = _options(cmd, {option: value}, focused=option)
    return await fake.send_interaction(4, data)


async def context_menu(fake: FakeDiscord, name: str, target: dict[str, Any]) -> str:
    cmd = fake.find_command(name, kind=3)
    data = {
        "id": cmd["id"], "name": name, "type": 3, "guild_id": fake.guild_id,
        "target_id": target["id"], "resolved": {"messages": {target["id"]: target}},
    }  # fmt: skip
    return await fake.send_interaction(2, data)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"] for row in message.get("components") or []
        for c in row["components"] if "custom_id" in c
    ]  # fmt: skip


async def press(
    fake: FakeDiscord, message: dict[str, Any], prefix: str, user: str = "alice"
) -> str:
    """Press the button whose custom id starts with `prefix` on a message the bot sent."""
    matching = [c for c in custom_ids(message) if c.startswith(prefix)]
    assert matching, f"no button {prefix!r} on the message: {custom_ids(message)}"
    data = {"custom_id": matching[0], "component_type": 2}
    return await fake.send_interaction(3, data, user, message=message)


async def say(
    fake: FakeDiscord,
    content: str,
    *,
    user: str = "alice",
    channel_id: str | None = None,
    mention_bot: bool = False,
    reply_to: dict[str, Any] | None = None,
    dm: bool = False,
) -> dict[str, Any]:
    """A member posts a message (a MESSAGE_CREATE), in a server or (`dm`) privately."""
    channel_id = channel_id or (p.snowflake() if dm else fake.channel_id)
    if mention_bot:
        content = f"<@{fake.app_id}> {content}"
    mentions = [fake.bot_user] if mention_bot or reply_to else []
    msg = p.message(channel_id, fake.users[user], content, guild_id=None if dm else fake.guild_id,
                    mentions=mentions, reference=reply_to)  # fmt: skip
    if not dm:
        msg["member"] = {k: v for k, v in fake.member_payload(user).items() if k != "user"}
    fake.messages.setdefault(channel_id, []).append(msg)
    await fake.dispatch("MESSAGE_CREATE", msg)
    return msg


async def start_thread(fake: FakeDiscord, owner_id: str, name: str) -> str:
    """A public thread in the main channel (as if `owner_id` had started it); returns its id."""
    thread_id = p.snowflake()
    data = p.thread(thread_id, fake.guild_id, fake.channel_id, owner_id, name)
    fake.channels[thread_id] = data
    fake.messages[thread_id] = []
    await fake.dispatch("THREAD_CREATE", {**data, "newly_created": True})
    return thread_id
