"""Pure formatting of answers for Discord's limits: embeds, fields, and text split cleanly.

Discord rejects a message outright when one limit is exceeded (400), so every function here
returns pieces that are within every limit, whatever the answer looks like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord

from bot.answering.answer import Answer, Citation
from bot.answering.generation.markers import MARKER

MESSAGE_CHARS = 2000
TITLE_CHARS = 256
DESCRIPTION_CHARS = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_CHARS = 256
FIELD_VALUE_CHARS = 1024
FOOTER_CHARS = 2048
EMBED_TOTAL_CHARS = 6000  # per message: all embeds together (Discord counts them jointly)
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_CHARS = 80
CHOICE_CHARS = 100

# One text embed = part + title + its citation fields + footer, kept well inside 6000.
PART_CHARS = 2500
FIELDS_BUDGET = 2500
MIN_FIELD_CHARS = 250
FOOTER_BUDGET = 700

ANSWER_COLOUR = discord.Colour(0x005EB8)  # NHS blue
REFUSAL_COLOUR = discord.Colour(0x768692)
ONLY_SOURCES = "Answers come only from the listed sources."

# A sentence of an answer ends at . ! ? (plus closing quotes/brackets and the [n] markers after
# it: they belong to the sentence before them, unlike in a source's text).
_SENTENCE_END = re.compile(rf"[.!?…][\"'”’)\]]*(?:\s*{MARKER.pattern})*(?=\s|$)")


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    room = max(limit - len(ellipsis), 0)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > room // 2 else text[:room]
    return head.rstrip() + ellipsis


def cited_numbers(text: str) -> list[int]:
    """The citation numbers `text` refers to, in order of first mention."""
    return list(dict.fromkeys(int(n) for n in MARKER.findall(text)))


def _sentences(paragraph: str) -> list[str]:
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        pieces.append(paragraph[start : match.end()].strip())
        start = match.end()
    pieces.append(paragraph[start:].strip())
    return [p for p in pieces if p]


def _words(sentence: str, limit: int) -> list[str]:
    """Pieces of `sentence` cut at spaces; only a single word longer than `limit` is cut inside."""
    tokens: list[str] = []
    for token in sentence.split():
        if tokens and MARKER.fullmatch(token.rstrip(".,;:")):
            tokens[-1] += " " + token  # a [n] marker stays with the word before it
        else:
            tokens.append(token)
    out: list[str] = []
    for word in tokens:
        while len(word) > limit:
            out.append(word[:limit])
            word = word[limit:]
        out.append(word)
    return out


def _pack(pieces: Iterable[str], limit: int, joiner: str) -> list[str]:
    parts: list[str] = []
    for piece in pieces:
        if parts and len(parts[-1]) + len(joiner) + len(piece) <= limit:
            parts[-1] += joiner + piece
        else:
            parts.append(piece)
    return parts


def split_text(text: str, limit: int = MESSAGE_CHARS) -> list[str]:
    """`text` in parts of at most `limit` characters, split at paragraph breaks, else at sentence
    ends, else between words; [n] markers stay with their sentence. Nothing is dropped."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        words: list[str] = []
        for sentence in _sentences(paragraph):
            words.extend([sentence] if len(sentence) <= limit else _words(sentence, limit))
        pieces.extend(_pack(words, limit, " "))  # sentences of one paragraph rejoin with a space
    # Neighbouring paragraphs that fit together share a part, still separated by a blank line.
    return _pack([p for p in pieces if p], limit, "\n\n")


def citation_field(
    c: Citation, budget: int = FIELD_NAME_CHARS + FIELD_VALUE_CHARS
) -> tuple[str, str]:
    """(name, value) of one source's field within `budget` characters in all: title — publisher,
    date; link; the quoted sentence (shortened first when space is short)."""
    name = truncate(f"[{c.n}] {c.title or c.source}", min(FIELD_NAME_CHARS, max(budget // 3, 40)))
    details = ", ".join(p for p in (c.publisher, c.published) if p)
    head = "\n".join(p for p in (truncate(details, 200), truncate(c.url or c.source, 300)) if p)
    room = min(FIELD_VALUE_CHARS, budget - len(name))
    quote_room = room - len(head) - 4  # newline, "> " and the quote marks
    quote = " ".join(c.quote.split())
    value = head
    if quote and quote_room >= 20:
        value = f"{head}\n> “{truncate(quote, quote_room - 2)}”"
    return name, truncate(value or "(no details)", room)


def _fields_embed(embed: discord.Embed, citations: Sequence[Citation], budget: int) -> None:
    per_field = max(budget // max(len(citations), 1), MIN_FIELD_CHARS)
    for c in citations:
        name, value = citation_field(c, per_field)
        embed.add_field(name=name, value=value, inline=False)


def _chunks(items: Sequence[Citation], size: int) -> list[Sequence[Citation]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def footer_text(answer: Answer, answer_id: str) -> str:
    """Passage handles for /source, the answer id, and the promise of where answers come from."""
    handles = " · ".join(f"[{c.n}] {c.chunk_id}" for c in answer.citations)
    lookup = f"\nLook a passage up with /source id:<handle> — {handles}" if handles else ""
    return truncate(f"{ONLY_SOURCES} Answer {answer_id}.{lookup}", FOOTER_BUDGET)


def _answer_parts(text: str, known: set[int], per_part: int) -> list[str]:
    """The text in parts; a part that would bring in more than `per_part` new sources is cut
    again between sentences, so each part's sources fit beside it in one message."""
    parts: list[str] = []
    shown: set[int] = set()
    for part in split_text(text, PART_CHARS):
        new = {n for n in cited_numbers(part) if n in known} - shown
        if len(new) <= per_part:
            parts.append(part)
            shown |= new
            continue
        current, current_new = "", set()
        for sentence in _sentences(" ".join(part.split())):
            adds = {n for n in cited_numbers(sentence) if n in known} - shown - current_new
            if current and len(current_new | adds) > per_part:
                parts.append(current)
                shown |= current_new
                current, current_new = "", set()
                adds -= shown
            current = f"{current} {sentence}".strip()
            current_new |= adds
        parts.append(current)
        shown |= current_new
    return parts


def answer_embeds(
    answer: Answer, answer_id: str, *, title: str | None = None
) -> list[discord.Embed]:
    """All embeds of one answer: the text in parts, each followed by the sources it cites first;
    sources never cited in the text (a refusal's nearest ones) in a closing embed."""
    colour = REFUSAL_COLOUR if answer.refused else ANSWER_COLOUR
    by_n = {c.n: c for c in answer.citations}
    per_embed = FIELDS_BUDGET // MIN_FIELD_CHARS
    shown: set[int] = set()
    embeds: list[discord.Embed] = []
    for part in _answer_parts(answer.answer, set(by_n), per_embed) or ["(no answer text)"]:
        refs = [by_n[n] for n in cited_numbers(part) if n in by_n and n not in shown]
        shown.update(c.n for c in refs)
        groups = _chunks(refs, per_embed) or [()]
        embed = discord.Embed(description=part, colour=colour)
        _fields_embed(embed, groups[0], FIELDS_BUDGET)
        embeds.append(embed)
        for group in groups[1:]:
            more = discord.Embed(colour=colour)
            _fields_embed(more, group, FIELDS_BUDGET)
            embeds.append(more)
    rest = [c for c in answer.citations if c.n not in shown]
    for i, group in enumerate(_chunks(rest, per_embed)):
        heading = "Nearest sources" if answer.refused else "Sources"
        more = discord.Embed(title=heading if i == 0 else None, colour=colour)
        _fields_embed(more, group, FIELDS_BUDGET)
        embeds.append(more)
    if title:
        embeds[0].title = truncate(" ".join(title.split()), TITLE_CHARS)
    embeds[-1].set_footer(text=footer_text(answer, answer_id))
    return embeds


def pack_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages of at most 10 embeds and 6000 characters in all."""
    messages: list[list[discord.Embed]] = []
    used = 0
    for embed in embeds:
        size = len(embed)
        if (
            not messages
            or len(messages[-1]) >= EMBEDS_PER_MESSAGE
            or used + size > EMBED_TOTAL_CHARS
        ):
            messages.append([])
            used = 0
        messages[-1].append(embed)
        used += size
    return messages


def answer_messages(
    answer: Answer, answer_id: str, *, title: str | None = None
) -> list[list[discord.Embed]]:
    """The messages (each a list of embeds) that carry one answer, every limit respected."""
    return pack_messages(answer_embeds(answer, answer_id, title=title))


def passage_embeds(
    title: str, text: str, details: Sequence[tuple[str, str]]
) -> list[discord.Embed]:
    """A stored passage in full (split over embeds if needed) with its document's details."""
    parts = split_text(text, DESCRIPTION_CHARS - 100) or ["(empty passage)"]
    embeds = [discord.Embed(description=part, colour=ANSWER_COLOUR) for part in parts]
    embeds[0].title = truncate(title, TITLE_CHARS)
    for name, value in details[:FIELDS_PER_EMBED]:
        if value:
            embeds[-1].add_field(
                name=truncate(name, FIELD_NAME_CHARS), value=truncate(value, FIELD_VALUE_CHARS)
            )
    return embeds
