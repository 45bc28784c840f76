"""The bot's permissions in a server, computed as Discord does (pure functions, a table)."""

from __future__ import annotations

import pytest

from bot.discordbot.access import (
    ADMINISTRATOR,
    ALL,
    REQUIRED,
    REQUIRED_BITS,
    channel_permissions,
    guild_permissions,
    invite_url,
    missing,
)

GUILD, BOT, OWNER, ROLE, OTHER = "100", "200", "300", "400", "500"
EMBED, SEND = REQUIRED["Embed Links"], REQUIRED["Send Messages"]


def guild(everyone: int, role: int = 0, other: int = 0) -> dict[str, object]:
    roles = [{"id": GUILD, "permissions": str(everyone)}, {"id": ROLE, "permissions": str(role)}]
    return {
        "id": GUILD,
        "owner_id": OWNER,
        "roles": [*roles, {"id": OTHER, "permissions": str(other)}],
    }


def test_the_required_permissions_are_the_readmes_invite_integer() -> None:
    assert REQUIRED_BITS == 309237730304
    assert "permissions=309237730304" in invite_url("42") and "client_id=42" in invite_url("42")


@pytest.mark.parametrize(
    ("server", "roles", "user", "expected"),
    [
        (guild(SEND), [], BOT, SEND),  # @everyone alone
        (guild(SEND, EMBED), [ROLE], BOT, SEND | EMBED),  # plus the bot's role
        (guild(SEND, EMBED), [], BOT, SEND),  # a role the bot does not have gives nothing
        (guild(0, ADMINISTRATOR), [ROLE], BOT, ALL),  # Administrator grants everything
        (guild(0), [], OWNER, ALL),  # the owner has everything
    ],
)
def test_guild_permissions(server: dict, roles: list[str], user: str, expected: int) -> None:
    assert guild_permissions(server, roles, user) == expected


def overwrite(target: str, allow: int = 0, deny: int = 0) -> dict[str, object]:
    return {"id": target, "type": 0, "allow": str(allow), "deny": str(deny)}


@pytest.mark.parametrize(
    ("overwrites", "expected"),
    [
        ([], SEND | EMBED),
        ([overwrite(GUILD, deny=EMBED)], SEND),  # @everyone's overwrite
        ([overwrite(GUILD, deny=EMBED), overwrite(ROLE, allow=EMBED)], SEND | EMBED),  # role wins
        ([overwrite(ROLE, allow=EMBED), overwrite(BOT, deny=EMBED)], SEND),  # member wins
        ([overwrite(OTHER, deny=SEND)], SEND | EMBED),  # a role the bot lacks changes nothing
    ],
)
def test_channel_overwrites_apply_in_discords_order(overwrites: list, expected: int) -> None:
    channel = {"id": "9", "type": 0, "permission_overwrites": overwrites}
    assert channel_permissions(SEND | EMBED, channel, GUILD, [ROLE], BOT) == expected


def test_missing_names_the_permissions_in_the_readmes_order() -> None:
    assert missing(REQUIRED_BITS) == []
    assert missing(REQUIRED_BITS & ~EMBED & ~SEND) == ["Send Messages", "Embed Links"]
    assert missing(ALL) == []
