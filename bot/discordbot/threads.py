"""Finding the earlier turn of a conversation in Discord itself (nothing is stored by us)."""

from __future__ import annotations

import logging
import re

import discord

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 25


def strip_mentions(content: str, user_id: int) -> str:
    """The question in a message, without the mention(s) of the bot."""
    return " ".join(re.sub(rf"<@!?{user_id}>", " ", content).split())


def turn_of(
    message: discord.Message, bot_user: discord.abc.User, question: str | None = None
) -> tuple[str, str] | None:
    """(question, answer) if `message` is one of the bot's answers (question in the title;
    `question` stands in for it on the later messages of a long answer)."""
    if message.author.id != bot_user.id or not message.embeds:
        return None
    title = message.embeds[0].title or question
    text = next((e.description for e in message.embeds if e.description), None)
    if not title or not text:
        return None
    return title, text


async def _referenced(message: discord.Message) -> discord.Message | None:
    ref = message.reference
    if ref is None or ref.message_id is None:
        return None
    if isinstance(ref.resolved, discord.Message):
        return ref.resolved
    try:
        return await message.channel.fetch_message(ref.message_id)
    except discord.HTTPException:
        return None


async def earlier_turn(client: discord.Client, message: discord.Message) -> tuple[str, str] | None:
    """The turn a message follows up: the answer it replies to, else (in a thread the bot started
    or was asked in) the bot's latest answer there, else the answer the thread was started on."""
    me = client.user
    if me is None:
        return None
    replied = await _referenced(message)
    if replied is not None:
        return turn_of(replied, me)
    channel = message.channel
    if not isinstance(channel, discord.Thread):
        return None
    mentioned = me in message.mentions
    if channel.owner_id != me.id and not mentioned:
        return None
    async for earlier in channel.history(limit=HISTORY_LOOKBACK, before=message):
        turn = turn_of(earlier, me)
        if turn is not None:
            return turn
    parent = channel.parent
    if isinstance(parent, discord.TextChannel):  # a thread started on an answer has its id
        try:
            return turn_of(await parent.fetch_message(channel.id), me, channel.name)
        except discord.HTTPException:
            return None
    return None
