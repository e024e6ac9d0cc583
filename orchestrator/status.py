"""Statuses of apps and parcels, and the one table of legal transitions between them.

The table drives a ``transitions`` machine, so an illegal move raises ``MachineError`` instead of
being caught (or missed) by scattered ``if status == ...`` checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from transitions import Machine, MachineError

__all__ = ["BROKEN_STATUSES", "TRANSITIONS", "AppStatus", "StatusMachine", "StatusModel"]


class AppStatus(StrEnum):
    """single-spa's statuses; each value equals its name."""

    NOT_LOADED = "NOT_LOADED"
    LOADING_SOURCE_CODE = "LOADING_SOURCE_CODE"
    NOT_BOOTSTRAPPED = "NOT_BOOTSTRAPPED"
    BOOTSTRAPPING = "BOOTSTRAPPING"
    NOT_MOUNTED = "NOT_MOUNTED"
    MOUNTING = "MOUNTING"
    MOUNTED = "MOUNTED"
    UPDATING = "UPDATING"
    UNMOUNTING = "UNMOUNTING"
    UNLOADING = "UNLOADING"
    LOAD_ERROR = "LOAD_ERROR"
    SKIP_BECAUSE_BROKEN = "SKIP_BECAUSE_BROKEN"


S = AppStatus

BROKEN_STATUSES: frozenset[AppStatus] = frozenset({S.LOAD_ERROR, S.SKIP_BECAUSE_BROKEN})
"""The statuses of an app that failed (to load, or in a lifecycle)."""

_ALL_BUT_BROKEN: list[AppStatus] = [s for s in S if s is not S.SKIP_BECAUSE_BROKEN]

# trigger, from, to
TRANSITIONS: tuple[tuple[str, list[AppStatus] | AppStatus, AppStatus], ...] = (
    ("start_load", [S.NOT_LOADED, S.LOAD_ERROR], S.LOADING_SOURCE_CODE),
    ("load_succeeded", S.LOADING_SOURCE_CODE, S.NOT_BOOTSTRAPPED),
    ("load_failed", S.LOADING_SOURCE_CODE, S.LOAD_ERROR),
    ("start_bootstrap", S.NOT_BOOTSTRAPPED, S.BOOTSTRAPPING),
    ("bootstrap_succeeded", S.BOOTSTRAPPING, S.NOT_MOUNTED),
    ("start_mount", S.NOT_MOUNTED, S.MOUNTING),
    ("mount_succeeded", S.MOUNTING, S.MOUNTED),
    # a failed mount goes straight to UNMOUNTING for its one unmount attempt: it never was MOUNTED
    ("mount_failed", S.MOUNTING, S.UNMOUNTING),
    ("start_update", S.MOUNTED, S.UPDATING),
    ("update_succeeded", S.UPDATING, S.MOUNTED),
    ("start_unmount", S.MOUNTED, S.UNMOUNTING),
    ("unmount_succeeded", S.UNMOUNTING, S.NOT_MOUNTED),
    # v7: broken apps may be unloaded too; we also accept loaded-but-never-bootstrapped apps
    (
        "start_unload",
        [S.NOT_BOOTSTRAPPED, S.NOT_MOUNTED, S.LOAD_ERROR, S.SKIP_BECAUSE_BROKEN],
        S.UNLOADING,
    ),
    ("unload_succeeded", S.UNLOADING, S.NOT_LOADED),
    ("break_", _ALL_BUT_BROKEN, S.SKIP_BECAUSE_BROKEN),
)


class StatusModel:
    """Something whose ``status`` a ``StatusMachine`` drives (an app record or a parcel)."""

    name: str
    status: AppStatus
    _status_machine: StatusMachine

    def fire(self, trigger: str) -> None:
        """Move along the table by ``trigger``; raises ``MachineError`` if illegal from here."""
        self._status_machine.fire(self, trigger)

    def can(self, trigger: str) -> bool:
        """Whether the table has a move by ``trigger`` from the current status (the guards)."""
        return self._status_machine.can(self, trigger)


@functools.cache
def _compiled_table() -> Mapping[tuple[str, AppStatus], AppStatus]:
    """The table compiled by ``transitions`` into ``(trigger, source) -> dest``, once per process.

    ``transitions`` checks the table (states, sources, destinations) and expands it; firing then
    is one dict lookup, because its event machinery costs more than a whole reroute step.
    """
    machine = Machine(
        model=None,
        states=list(AppStatus),
        initial=AppStatus.NOT_LOADED,
        auto_transitions=False,
    )
    for trigger, source, dest in TRANSITIONS:
        sources: Any = source
        machine.add_transition(trigger, sources, dest)
    moves: dict[tuple[str, AppStatus], AppStatus] = {}
    for name, event in machine.events.items():
        for origin, transitions in event.transitions.items():
            moves[(name, AppStatus(origin))] = AppStatus(str(transitions[0].dest))
    return MappingProxyType(moves)


class StatusMachine:
    """The table bound to one orchestrator's ``on_change(model, old, new)`` callback.

    Models are attached, not added: a model keeps its own ``status`` and firing looks the move up
    in the compiled table, so attaching costs nothing and nothing has to be removed afterwards.
    """

    def __init__(self, on_change: Callable[[Any, AppStatus, AppStatus], None]) -> None:
        self.on_change = on_change
        self._moves = _compiled_table()

    def attach(self, model: StatusModel, initial: AppStatus = AppStatus.NOT_LOADED) -> None:
        model.status = initial
        model._status_machine = self

    def can(self, model: StatusModel, trigger: str) -> bool:
        return (trigger, model.status) in self._moves

    def fire(self, model: StatusModel, trigger: str) -> None:
        old = model.status
        new = self._moves.get((trigger, old))
        if new is None:
            if not any(key[0] == trigger for key in self._moves):
                raise ValueError(f"unknown status trigger {trigger!r}")
            raise MachineError(f"Can't trigger event {trigger} from state {old.value}!")
        model.status = new
        self.on_change(model, old, new)
