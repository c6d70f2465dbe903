"""Change notification for the project document: typed psygnal signals, no Qt.

Like napari's evented models, the document emits after each change and views subscribe to the
signals they care about: ``project.events.prompts_changed.connect(self._on_prompts_changed)``.
psygnal (napari's event library) is plain Python: callbacks run synchronously on the emitting
thread. The GUI bridges these to Qt signals in one place (`app.gui.document`); the core never
knows who listens. ``project.events.all`` relays every signal (as a psygnal ``EmissionInfo``).
"""

from __future__ import annotations

from psygnal import Signal, SignalGroup

__all__ = ["ProjectEvents"]


class ProjectEvents(SignalGroup):
    """The signals of one `Project`; each says what changed and carries the object it concerns."""

    object_added = Signal(int)  # obj_id was inserted (at its current index)
    object_removed = Signal(int)  # obj_id is gone
    object_changed = Signal(int, str)  # obj_id, which field: "name", "colour" or "visible"
    prompts_changed = Signal(int)  # obj_id's prompt list changed (its masks may now be stale)
    effects_changed = Signal(object)  # obj_id (int) whose effect stack changed; None = background
    objects_reordered = Signal(int)  # obj_id moved in the z-order
    project_changed = Signal(str)  # which project field changed ("path")
    dirty_changed = Signal(bool)  # the new value of project.dirty
