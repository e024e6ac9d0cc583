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

    With ``max_weight`` and ``weigh(key, value)`` it also forgets them once their total weight
    (an estimate of their bytes, say) passes ``max_weight``; the newest item always stays, even
    one heavier than that on its own (the next one set pushes it out). ``on_evict(key, value)``
    is called for each item forgotten that way (to stop its timers, say).
    """

    def __init__(
        self,
        maxsize: int = 512,
        *,
        on_evict: Callable[[K, V], None] | None = None,
        max_weight: int | None = None,
        weigh: Callable[[K, V], int] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"LRUCache maxsize must be at least 1, got {maxsize}")
        if (max_weight is None) != (weigh is None):
            raise ValueError("LRUCache max_weight and weigh go together")
        self.maxsize = maxsize
        self.max_weight = max_weight
        self._on_evict = on_evict
        self._weigh = weigh
        self._data: OrderedDict[K, V] = OrderedDict()
        self._weights: dict[K, int] = {}
        self.weight = 0
        """The total weight of the items kept now (0 without ``weigh``)."""

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        if self._weigh is not None:
            self._drop_weight(key)
            weight = self._weigh(key, value)
            self._weights[key] = weight
            self.weight += weight
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize or (
            self.max_weight is not None and self.weight > self.max_weight and len(self._data) > 1
        ):
            old_key, old_value = self._data.popitem(last=False)
            self._drop_weight(old_key)
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)

    def __delitem__(self, key: K) -> None:
        del self._data[key]
        self._drop_weight(key)

    def _drop_weight(self, key: K) -> None:
        self.weight -= self._weights.pop(key, 0)

    def clear(self) -> None:
        self._data.clear()
        self._weights.clear()
        self.weight = 0

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)
