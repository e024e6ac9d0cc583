"""qiankun's ``initGlobalState``: one shared dict per orchestrator, changed through per-id actions.

Differences from qiankun, on purpose: there is no module-level store (each orchestrator owns one
:class:`GlobalState`); a write that changes nothing returns ``False`` and notifies nobody; async
callbacks are scheduled as tasks on the running loop (without a loop they are not run, and a warning
says so); a callback that raises is logged and the others still run.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from blinker import Signal

from ._tasks import TaskSet

__all__ = ["GlobalState", "GlobalStateActions", "HeldListener", "StateCallback"]

logger = logging.getLogger("orchestrator.global_state")

StateCallback: TypeAlias = Callable[[dict[str, Any], dict[str, Any]], "Awaitable[Any] | Any"]
"""Called ``(state, prev)`` with deep copies after every change; may be sync or async."""


class _InsertionOrderedSet:
    """A set that iterates in insertion order, so blinker delivers in registration order."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: dict[Any, None] = dict.fromkeys(items)

    def add(self, item: Any) -> None:
        self._items[item] = None

    def discard(self, item: Any) -> None:
        self._items.pop(item, None)

    def copy(self) -> _InsertionOrderedSet:
        return _InsertionOrderedSet(self._items)

    def __or__(self, other: Iterable[Any]) -> _InsertionOrderedSet:
        merged = self.copy()
        for item in other:
            merged.add(item)
        return merged

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class _OrderedSignal(Signal):
    """A blinker signal whose receivers run in the order they were connected."""

    set_class = _InsertionOrderedSet  # type: ignore[assignment]


class _Slot:
    """The one listener an actions id may have; replacing the callback keeps its place in line."""

    __slots__ = ("callback", "owner", "state_id")

    def __init__(self, owner: GlobalState, state_id: str, callback: StateCallback) -> None:
        self.owner = owner
        self.state_id = state_id
        self.callback = callback

    def deliver(self, _sender: Any, *, state: dict[str, Any], prev: dict[str, Any]) -> None:
        self.owner._call(self.state_id, self.callback, copy.deepcopy(state), copy.deepcopy(prev))


#: How many updates listeners may cause in reaction to one change before the cascade is cut.
MAX_NESTED_UPDATES = 1000


@dataclass(frozen=True)
class HeldListener:
    """An app's global-state listener taken off while it is hidden, with the state it saw."""

    callback: StateCallback
    seen: dict[str, Any]


class GlobalState:
    """The store behind ``init_global_state``: one per orchestrator, shared by shell and apps."""

    def __init__(self) -> None:
        self._state: dict[str, Any] = {}
        self._outbox: collections.deque[tuple[dict[str, Any], dict[str, Any]]] = collections.deque()
        self._delivering = False
        self._initialised = False
        self._changed = _OrderedSignal("global-state-changed")
        self._slots: dict[str, _Slot] = {}
        self._master_ids = (f"global-{n}" for n in itertools.count(1))
        self._tasks = TaskSet()

    @property
    def state(self) -> dict[str, Any]:
        """A deep copy of the current state (qiankun has no getter; this is for readers)."""
        return copy.deepcopy(self._state)

    def init(self, state: Mapping[str, Any]) -> GlobalStateActions:
        """Replace the whole state (no merge), notify every listener, return the shell's actions.

        Re-initialising with an equal state warns and notifies nobody; the new actions get a new id.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"init_global_state needs a mapping, got {type(state).__name__}")
        new_state = copy.deepcopy(dict(state))
        if self._initialised and new_state == self._state:
            logger.warning("global state has not changed: init_global_state got the same state")
        else:
            self._replace(new_state)
        self._initialised = True
        return GlobalStateActions(self, next(self._master_ids), is_master=True)

    def actions_for(self, app_id: str) -> GlobalStateActions:
        """An app's actions: it may change only top-level keys that already exist."""
        if not isinstance(app_id, str) or not app_id:
            raise ValueError(f"actions_for needs a non-empty app id, got {app_id!r}")
        return GlobalStateActions(self, app_id, is_master=False)

    def hold_listener(self, state_id: str) -> HeldListener | None:
        """Take an app's listener off while it is hidden (keep-alive), remembering the state it
        last saw; ``release_listener`` puts it back. ``None`` when it had none."""
        slot = self._slots.get(state_id)
        if slot is None:
            return None
        self._unlisten(state_id)
        return HeldListener(slot.callback, copy.deepcopy(self._state))

    def release_listener(self, state_id: str, held: HeldListener) -> None:
        """Put a held listener back; if the state changed meanwhile it hears of it once, with
        the state it last saw as ``prev`` (micro-app rebuilds its data listeners so)."""
        self._listen(state_id, held.callback)
        if held.seen != self._state:
            self._slots[state_id].deliver(self, state=self._state, prev=held.seen)

    def listener_ids(self) -> list[str]:
        """Ids that have a listener, in delivery order."""
        return list(self._slots)

    def _replace(self, new_state: dict[str, Any]) -> None:
        """Set the state and notify; a listener setting state while notified is queued, so every
        listener sees the states in order and ends on the latest one."""
        prev, self._state = self._state, new_state
        if self._delivering:
            self._outbox.append((new_state, prev))
            return
        self._delivering = True
        sent = 0
        try:
            self._changed.send(self, state=new_state, prev=prev)
            while self._outbox:
                sent += 1
                if sent > MAX_NESTED_UPDATES:
                    logger.error(
                        "global state: listeners set state in reaction to each other more than "
                        "%d times in one change; the rest of that cascade is not delivered",
                        MAX_NESTED_UPDATES,
                    )
                    break
                state, before = self._outbox.popleft()
                self._changed.send(self, state=state, prev=before)
        finally:
            self._delivering = False
            self._outbox.clear()

    def _listen(self, state_id: str, callback: StateCallback) -> None:
        slot = self._slots.get(state_id)
        if slot is not None:
            logger.warning(
                "global state: '%s' already has a listener; the new one replaces it", state_id
            )
            slot.callback = callback
            return
        slot = _Slot(self, state_id, callback)
        self._slots[state_id] = slot
        self._changed.connect(slot.deliver, weak=False)

    def _unlisten(self, state_id: str) -> None:
        slot = self._slots.pop(state_id, None)
        if slot is not None:
            self._changed.disconnect(slot.deliver)

    def _set(self, state_id: str, is_master: bool, changes: object) -> bool:
        if not isinstance(changes, Mapping):
            logger.warning(
                "global state: '%s' passed %s to set_global_state; it needs a mapping",
                state_id,
                type(changes).__name__,
            )
            return False
        merged = dict(self._state)
        for key, value in changes.items():
            if is_master or key in self._state:
                merged[key] = value
            else:
                logger.warning(
                    "global state: application '%s' may not set '%s': "
                    "only keys given to init_global_state can be changed by apps",
                    state_id,
                    key,
                )
        if merged == self._state:
            logger.warning("global state has not changed: '%s' changed nothing", state_id)
            return False
        self._replace(copy.deepcopy(merged))
        return True

    def _call(
        self,
        state_id: str,
        callback: StateCallback,
        state: dict[str, Any],
        prev: dict[str, Any],
    ) -> None:
        self._tasks.call(callback, state, prev, what=f"global state listener of '{state_id}'")

    async def drain(self) -> None:
        """Wait for the async listeners scheduled so far (handy in tests and on shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)


class GlobalStateActions:
    """What the shell or one app uses: listen, set, stop (qiankun's MicroAppStateActions)."""

    __slots__ = ("_store", "id", "is_master")

    def __init__(self, store: GlobalState, state_id: str, *, is_master: bool) -> None:
        self._store = store
        self.id = state_id
        self.is_master = is_master

    @property
    def state(self) -> dict[str, Any]:
        """A deep copy of the current state."""
        return self._store.state

    def on_global_state_change(
        self, callback: StateCallback, fire_immediately: bool = False
    ) -> None:
        """Listen for changes; a second call for the same id replaces the first (with a warning).

        With ``fire_immediately`` the callback runs now with ``(state, state)``, one copy for both.
        """
        if not callable(callback):
            raise TypeError(
                f"on_global_state_change needs a callable, got {type(callback).__name__}"
            )
        self._store._listen(self.id, callback)
        if fire_immediately:
            now = self._store.state
            self._store._call(self.id, callback, now, now)

    def set_global_state(self, state: Mapping[str, Any]) -> bool:
        """Change top-level keys (apps: only existing ones); ``True`` only if something changed."""
        return self._store._set(self.id, self.is_master, state)

    def off_global_state_change(self) -> bool:
        """Stop listening; always ``True``, as in qiankun."""
        self._store._unlisten(self.id)
        return True

    def __repr__(self) -> str:
        role = "shell" if self.is_master else "app"
        return f"<GlobalStateActions {role} {self.id!r}>"
