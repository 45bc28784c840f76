"""How stored files are named to members: relative to the corpus folder, never by a path on the
server. The store names a file by its path from the bot's working folder, or by its absolute
path when it lies elsewhere (`ingest.sync.source_name`); neither is for Discord."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path, PurePosixPath

from bot.answering.answer import Answer
from bot.refresh import Announcement
from ingest.addresses import is_web_address


class FileNames:
    """`source(name)`: a stored document's source as members see it. Inside the corpus folder,
    its path relative to that folder; elsewhere on the server, its file name alone; web
    addresses (and names that are not paths) unchanged."""

    def __init__(self, corpus_dir: Path) -> None:
        root = corpus_dir.resolve()
        spellings = {str(corpus_dir), str(root)}
        with contextlib.suppress(ValueError):
            spellings.add(str(root.relative_to(Path.cwd().resolve())))
        # Longest first: "/srv/nhsbot/corpus" before "corpus".
        self._roots = sorted(
            {s.rstrip("/") + "/" for s in spellings if s not in ("", ".")}, key=len, reverse=True
        )

    def source(self, name: str) -> str:
        if not name or is_web_address(name):
            return name
        for root in self._roots:
            if name.startswith(root):
                return name[len(root) :]
        path = PurePosixPath(name)
        return path.name if path.is_absolute() else name

    def reason(self, name: str, reason: str) -> str:
        """A failure's reason (which starts with the name it is about) with that name shown."""
        if name and reason.startswith(name):
            return self.source(name) + reason[len(name) :]
        return self.source(reason)  # a reason that is only a path

    def answer(self, answer: Answer) -> Answer:
        """The answer with each citation's source shown this way."""
        citations = tuple(
            dataclasses.replace(c, source=self.source(c.source)) for c in answer.citations
        )
        return dataclasses.replace(answer, citations=citations)

    def announcement(self, item: Announcement) -> Announcement:
        """An announcement whose link or title falls back on a file's source, shown this way."""
        return dataclasses.replace(item, title=self.source(item.title), link=self.source(item.link))
