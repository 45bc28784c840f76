"""What a member sees when something fails: one short private message, never a dead
interaction; the cause goes to the log."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord

from bot.answering.question import QuestionError
from vectorstore.store import StoreUnavailableError

log = logging.getLogger(__name__)

FAILED = "Sorry, something went wrong on my side: it has been logged. Please try again."
STORE_AWAY = "My sources can't be reached just now. Please try again in a minute."


async def report_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """A short ephemeral message to the member; the traceback to the log."""
    cause = getattr(error, "original", error)
    if isinstance(cause, QuestionError):
        text = str(cause)
    elif isinstance(cause, StoreUnavailableError):  # the store's server is away: no traceback
        log.warning("the store is unavailable: %s", cause)
        text = STORE_AWAY
    else:
        name = interaction.command.name if interaction.command else interaction.type.name
        log.error("interaction %s failed", name, exc_info=cause)
        text = FAILED
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # A public "thinking…" would turn the error public: remove it, then reply privately.
            # (Gone already when it became a draft that was discarded.)
            with contextlib.suppress(discord.NotFound):
                await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException:
        log.exception("could not report an error to the member")
