"""A small thread-safe least-recently-used map (vectors of passages' sentences, of verified
texts): bounded memory however many questions a long-running bot answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()  # the bot answers from several threads

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The cached values among `keys` (each counts as just used)."""
        with self._lock:
            found = {k: self._items[k] for k in keys if k in self._items}
            for k in found:
                self._items.move_to_end(k)
            return found

    def put_many(self, items: Mapping[K, V]) -> None:
        with self._lock:
            for k, v in items.items():
                self._items[k] = v
                self._items.move_to_end(k)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
