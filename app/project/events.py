"""Change notification for the project document, without Qt.

Like napari's evented models: the document emits a small `ProjectEvent` after each change and
views subscribe with ``project.events.connect(self._on_project_changed)``. The GUI bridges this
to Qt signals in one place; the core never knows who listens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

__all__ = ["EventKind", "ProjectEvent", "EventEmitter"]

EventKind = Literal[
    "object_added",  # obj_id was inserted (at its current index)
    "object_removed",  # obj_id is gone
    "object_changed",  # name / colour / visible of obj_id changed; `field` says which
    "prompts_changed",  # the prompt list of obj_id changed (masks may now be stale)
    "effects_changed",  # effect stack of obj_id changed; obj_id None = background
    "objects_reordered",  # z-order changed
    "project_changed",  # video, model, range or path changed; `field` says which
    "dirty_changed",  # project.dirty flipped
]


@dataclass(frozen=True)
class ProjectEvent:
    """What changed: the kind, the object it concerns (None = whole project/background)."""

    kind: EventKind
    obj_id: int | None = None
    field: str | None = None


Callback = Callable[[ProjectEvent], None]


class EventEmitter:
    """A minimal callback registry; callbacks run synchronously on the emitting thread."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        """Register `callback` (returned, so this works as a decorator)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        """Unregister `callback`; unknown callbacks are ignored."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: ProjectEvent) -> None:
        """Call every callback with `event` (errors propagate: a broken view must be seen)."""
        if self._blocked:
            return
        for callback in list(self._callbacks):
            callback(event)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress events inside the block (e.g. while loading)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __len__(self) -> int:
        return len(self._callbacks)
