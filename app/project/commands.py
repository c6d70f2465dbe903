"""Undoable edits of a `Project`: each command's ``apply(project)`` returns its inverse.

Commands are immutable values holding copies of what they insert, so redo after undo restores
the exact same document (same ids, same positions). Invalid edits raise `ProjectError` before
anything changes. The GUI wraps them in its one `QUndoCommand` adapter (`app.gui.undo`), which
applies a command before pushing it, so a refused edit raises in the caller, not inside Qt's
redo(). Scripts use the one-call helpers of `app.project.edits`.

This module uses only the document's public API (``project.objects``, ``reserve_id``,
``events``) and the checks of `app.project.validation`; the document never imports it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from app.errors import ProjectError
from app.project.document import Command, Project, Prompt, TrackedObject
from app.project.validation import check_effects, check_object_fields, check_prompt

__all__ = [
    "Command",
    "AddObject",
    "RemoveObject",
    "SetObjectAttr",
    "AddPrompt",
    "RemovePrompt",
    "SetPrompts",
    "SetEffects",
    "MoveObject",
    "Batch",
]


def _object(project: Project, obj_id: int) -> TrackedObject:
    try:
        return project.object(obj_id)
    except KeyError as exc:
        raise ProjectError(str(exc.args[0])) from None


@dataclass(frozen=True)
class AddObject(Command):
    """Insert `obj` at `index` (None = top of the z-order)."""

    obj: TrackedObject
    index: int | None = None

    @property
    def text(self) -> str:
        return f"Add {self.obj.name}"

    def apply(self, project: Project) -> Command:
        if any(o.id == self.obj.id for o in project.objects):
            raise ProjectError(f"object id {self.obj.id} is already in the project")
        check_object_fields(self.obj, f"object {self.obj.id}")
        index = len(project.objects) if self.index is None else self.index
        project.objects.insert(index, copy.deepcopy(self.obj))
        project.reserve_id(self.obj.id)
        project.events.object_added.emit(self.obj.id)
        return RemoveObject(self.obj.id)


@dataclass(frozen=True)
class RemoveObject(Command):
    obj_id: int

    @property
    def text(self) -> str:
        return f"Remove object {self.obj_id}"

    def apply(self, project: Project) -> Command:
        obj = _object(project, self.obj_id)
        index = project.index_of(self.obj_id)
        del project.objects[index]
        project.events.object_removed.emit(self.obj_id)
        return AddObject(obj, index)


@dataclass(frozen=True)
class SetObjectAttr(Command):
    """Change `name`, `colour` or `visible` of one object."""

    obj_id: int
    attr: Literal["name", "colour", "visible"]
    value: str | bool

    @property
    def text(self) -> str:
        return {"name": "Rename", "colour": "Change colour of", "visible": "Show/hide"}[
            self.attr
        ] + f" object {self.obj_id}"

    def apply(self, project: Project) -> Command:
        if self.attr not in ("name", "colour", "visible"):
            raise ProjectError(f"object {self.obj_id}: cannot set {self.attr!r}")
        obj = _object(project, self.obj_id)
        old = getattr(obj, self.attr)
        trial = copy.copy(obj)
        setattr(trial, self.attr, self.value)
        check_object_fields(trial, f"object {self.obj_id}")
        setattr(obj, self.attr, self.value)
        project.events.object_changed.emit(self.obj_id, self.attr)
        return SetObjectAttr(self.obj_id, self.attr, old)


@dataclass(frozen=True)
class AddPrompt(Command):
    """Insert a prompt into an object's list (None = append)."""

    obj_id: int
    prompt: Prompt
    index: int | None = None

    @property
    def text(self) -> str:
        return f"Add prompt on frame {self.prompt.frame}"

    def apply(self, project: Project) -> Command:
        obj = _object(project, self.obj_id)
        check_prompt(self.prompt, f"object {self.obj_id} prompt")
        index = len(obj.prompts) if self.index is None else self.index
        obj.prompts.insert(index, copy.deepcopy(self.prompt))
        project.events.prompts_changed.emit(self.obj_id)
        return RemovePrompt(self.obj_id, index)


@dataclass(frozen=True)
class RemovePrompt(Command):
    obj_id: int
    index: int

    @property
    def text(self) -> str:
        return "Remove prompt"

    def apply(self, project: Project) -> Command:
        obj = _object(project, self.obj_id)
        if not 0 <= self.index < len(obj.prompts):
            raise ProjectError(
                f"object {self.obj_id}: no prompt #{self.index} (it has {len(obj.prompts)})"
            )
        prompt = obj.prompts.pop(self.index)
        project.events.prompts_changed.emit(self.obj_id)
        return AddPrompt(self.obj_id, prompt, self.index)


@dataclass(frozen=True)
class SetPrompts(Command):
    """Replace an object's whole prompt list (``[]`` clears it)."""

    obj_id: int
    prompts: list[Prompt] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "Clear prompts" if not self.prompts else "Set prompts"

    def apply(self, project: Project) -> Command:
        obj = _object(project, self.obj_id)
        for i, prompt in enumerate(self.prompts):
            check_prompt(prompt, f"object {self.obj_id} prompts[{i}]")
        old = obj.prompts
        obj.prompts = copy.deepcopy(self.prompts)
        project.events.prompts_changed.emit(self.obj_id)
        return SetPrompts(self.obj_id, old)


@dataclass(frozen=True)
class SetEffects(Command):
    """Replace the effect stack of an object, or of the background when `obj_id` is None."""

    obj_id: int | None
    effects: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return (
            "Change background effects"
            if self.obj_id is None
            else f"Change effects of object {self.obj_id}"
        )

    def apply(self, project: Project) -> Command:
        where = "background.effects" if self.obj_id is None else f"object {self.obj_id} effects"
        check_effects(self.effects, where, project.path.parent if project.path else None)
        if self.obj_id is None:
            old = project.background_effects
            project.background_effects = copy.deepcopy(self.effects)
        else:
            obj = _object(project, self.obj_id)
            old = obj.effects
            obj.effects = copy.deepcopy(self.effects)
        project.events.effects_changed.emit(self.obj_id)
        return SetEffects(self.obj_id, old)


@dataclass(frozen=True)
class MoveObject(Command):
    """Move an object to `new_index` in the z-order (0 = bottom)."""

    obj_id: int
    new_index: int

    @property
    def text(self) -> str:
        return f"Move object {self.obj_id}"

    def apply(self, project: Project) -> Command:
        _object(project, self.obj_id)
        if not 0 <= self.new_index < len(project.objects):
            raise ProjectError(
                f"object {self.obj_id}: z-order position {self.new_index} "
                f"out of range 0..{len(project.objects) - 1}"
            )
        old_index = project.index_of(self.obj_id)
        obj = project.objects.pop(old_index)
        project.objects.insert(self.new_index, obj)
        project.events.objects_reordered.emit(self.obj_id)
        return MoveObject(self.obj_id, old_index)


@dataclass(frozen=True)
class Batch(Command):
    """Several commands as one undo step (e.g. "delete selected objects")."""

    commands: tuple[Command, ...]
    label: str = "Edit"

    @property
    def text(self) -> str:
        return self.label

    def apply(self, project: Project) -> Command:
        inverses: list[Command] = []
        try:
            for command in self.commands:
                inverses.append(command.apply(project))
        except Exception:
            for inverse in reversed(inverses):  # leave the document as it was
                inverse.apply(project)
            raise
        return Batch(tuple(reversed(inverses)), self.label)
