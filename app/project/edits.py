"""One-call undoable edits for scripts, tests and the demo: build the command, apply it.

Each helper applies one `app.project.commands` command with `Project.apply` (so the project is
marked dirty and its events fire) and returns the inverse command: ``project.apply(inverse)``
undoes the edit. The GUI does not use these: it pushes the commands onto its undo stack.
"""

from __future__ import annotations

from typing import Any

from app.project.commands import (
    AddObject,
    AddPrompt,
    Command,
    MoveObject,
    RemoveObject,
    RemovePrompt,
    SetEffects,
    SetObjectAttr,
    SetPrompts,
)
from app.project.document import Project, Prompt, TrackedObject

__all__ = [
    "add_object",
    "remove_object",
    "rename_object",
    "set_colour",
    "set_visible",
    "add_prompt",
    "remove_prompt",
    "clear_prompts",
    "set_effects",
    "move_object",
]


def add_object(
    project: Project, name: str | None = None, colour: str | None = None
) -> TrackedObject:
    """Create and append a new object (top of the z-order); returns the live object."""
    obj = project.make_object(name, colour)
    project.apply(AddObject(obj))
    return project.object(obj.id)  # the command inserted a copy


def remove_object(project: Project, obj_id: int) -> Command:
    """Remove an object (its masks stay in the store until the next save)."""
    return project.apply(RemoveObject(obj_id))


def rename_object(project: Project, obj_id: int, name: str) -> Command:
    """Give an object a new (non-empty) name."""
    return project.apply(SetObjectAttr(obj_id, "name", name))


def set_colour(project: Project, obj_id: int, colour: str) -> Command:
    """Set an object's ``#rrggbb`` display colour."""
    return project.apply(SetObjectAttr(obj_id, "colour", colour))


def set_visible(project: Project, obj_id: int, visible: bool) -> Command:
    """Show or hide an object (a hidden one is left out of the composite: its pixels are
    background)."""
    return project.apply(SetObjectAttr(obj_id, "visible", visible))


def add_prompt(project: Project, obj_id: int, prompt: Prompt) -> Command:
    """Append a prompt to an object's list."""
    return project.apply(AddPrompt(obj_id, prompt))


def remove_prompt(project: Project, obj_id: int, index: int) -> Command:
    """Remove an object's prompt number `index`."""
    return project.apply(RemovePrompt(obj_id, index))


def clear_prompts(project: Project, obj_id: int) -> Command:
    """Remove every prompt of an object."""
    return project.apply(SetPrompts(obj_id, []))


def set_effects(project: Project, obj_id: int | None, effects: list[dict[str, Any]]) -> Command:
    """Replace the effect stack of an object, or of the background when `obj_id` is None."""
    return project.apply(SetEffects(obj_id, effects))


def move_object(project: Project, obj_id: int, new_index: int) -> Command:
    """Move an object to `new_index` in the z-order (0 = bottom)."""
    return project.apply(MoveObject(obj_id, new_index))
