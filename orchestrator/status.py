"""Statuses of apps and parcels, and the one table of legal transitions between them.

The table drives a ``transitions`` machine, so an illegal move raises ``MachineError`` instead of
being caught (or missed) by scattered ``if status == ...`` checks.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from transitions import Machine

__all__ = ["TRANSITIONS", "AppStatus", "StatusMachine", "StatusModel", "build_status_machine"]


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
_ALL_BUT_BROKEN: list[AppStatus] = [s for s in S if s is not S.SKIP_BECAUSE_BROKEN]

# trigger, from, to
TRANSITIONS: tuple[tuple[str, list[AppStatus] | AppStatus, AppStatus], ...] = (
    ("start_load", [S.NOT_LOADED, S.LOAD_ERROR], S.LOADING_SOURCE_CODE),
    ("load_succeeded", S.LOADING_SOURCE_CODE, S.NOT_BOOTSTRAPPED),
    ("load_failed", S.LOADING_SOURCE_CODE, S.LOAD_ERROR),
    ("start_bootstrap", S.NOT_BOOTSTRAPPED, S.BOOTSTRAPPING),
    ("bootstrap_succeeded", S.BOOTSTRAPPING, S.NOT_MOUNTED),
    ("start_mount", S.NOT_MOUNTED, S.MOUNTING),
    # a failed mount also passes through MOUNTED so that one unmount can be attempted
    ("mount_succeeded", S.MOUNTING, S.MOUNTED),
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


class StatusMachine:
    """The table as a ``transitions`` machine shared by many models of one orchestrator.

    Models are attached, not added: firing goes through the machine's events with the model as
    argument, so attaching costs nothing per model and nothing has to be removed afterwards.
    """

    def __init__(self, on_change: Callable[[Any, AppStatus, AppStatus], None]) -> None:
        def _after(event: Any) -> None:
            transition = event.transition
            on_change(event.model, AppStatus(transition.source), AppStatus(transition.dest))

        self.machine = Machine(
            model=None,
            states=list(AppStatus),
            initial=AppStatus.NOT_LOADED,
            auto_transitions=False,
            send_event=True,
            model_attribute="status",
            after_state_change=[_after],
        )
        for trigger, source, dest in TRANSITIONS:
            sources: Any = source
            self.machine.add_transition(trigger, sources, dest)
        self._events: dict[str, Any] = dict(self.machine.events)

    def attach(self, model: StatusModel, initial: AppStatus = AppStatus.NOT_LOADED) -> None:
        model.status = initial
        model._status_machine = self

    def fire(self, model: StatusModel, trigger: str) -> None:
        event = self._events.get(trigger)
        if event is None:
            raise ValueError(f"unknown status trigger {trigger!r}")
        event.trigger(model)


def build_status_machine(on_change: Callable[[Any, AppStatus, AppStatus], None]) -> StatusMachine:
    """One machine for many models; ``on_change(model, old, new)`` runs after every move."""
    return StatusMachine(on_change)
