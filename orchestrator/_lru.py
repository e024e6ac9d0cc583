"""A bounded mapping that forgets its least recently used items (every cache here is one)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["LRUCache"]


class LRUCache(MutableMapping[K, V]):
    """A mapping that forgets its least recently used items beyond ``maxsize``.

    ``on_evict(key, value)`` is called for each item forgotten that way (to stop its timers, say).
    """

    def __init__(
        self, maxsize: int = 512, *, on_evict: Callable[[K, V], None] | None = None
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"LRUCache maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self._on_evict = on_evict
        self._data: OrderedDict[K, V] = OrderedDict()

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            old_key, old_value = self._data.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)

    def __delitem__(self, key: K) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)
