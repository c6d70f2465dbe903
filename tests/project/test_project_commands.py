"""The command API the GUI undo stack wraps: every edit undoes and redoes to the exact document."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from app.errors import ProjectError
from app.project import (
    AddObject,
    AddPrompt,
    Batch,
    Command,
    MoveObject,
    Project,
    ProjectEvent,
    Prompt,
    RemoveObject,
    RemovePrompt,
    SetEffects,
    SetObjectAttr,
    SetPrompts,
    dumps_project,
    load_project,
)


class UndoStack:
    """What the GUI's one generic QUndoCommand adapter does, without Qt."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.done: list[Command] = []  # inverses
        self.undone: list[Command] = []  # forward commands

    def push(self, command: Command) -> None:
        self.done.append(self.project.apply(command))
        self.undone.clear()

    def undo(self) -> None:
        self.undone.append(self.project.apply(self.done.pop()))

    def redo(self) -> None:
        self.done.append(self.project.apply(self.undone.pop()))


@pytest.fixture
def project(project_dir: Path) -> Project:
    project = load_project(project_dir / "clip.rotokit")
    project.add_object("ball")
    project.add_object("woman", colour="#00ff00")
    project.add_prompt(2, Prompt(10, points=[[450, 230]], labels=[1]))
    project.set_dirty(False)
    return project


def _random_command(project: Project, rng: random.Random) -> Command:
    ids = [o.id for o in project.objects]
    choice = rng.randrange(9) if ids else 0
    obj_id = rng.choice(ids) if ids else None
    if choice == 0:
        return AddObject(
            project.make_object(f"thing {rng.randrange(99)}"), rng.randrange(len(ids) + 1)
        )
    if choice == 1:
        return RemoveObject(obj_id)
    if choice == 2:
        return SetObjectAttr(obj_id, "name", f"renamed {rng.randrange(99)}")
    if choice == 3:
        return SetObjectAttr(
            obj_id,
            rng.choice(["visible", "colour"]),
            rng.choice([False, True]) if rng.random() < 0.5 else "#123456",
        )
    if choice == 4:
        frame = rng.randrange(90)
        prompt = (
            Prompt(frame, box=[1, 2, 30, 40])
            if rng.random() < 0.5
            else Prompt(frame, points=[[5, 6]], labels=[0])
        )
        n = len(project.object(obj_id).prompts)
        return AddPrompt(obj_id, prompt, rng.randrange(n + 1))
    if choice == 5 and project.object(obj_id).prompts:
        return RemovePrompt(obj_id, rng.randrange(len(project.object(obj_id).prompts)))
    if choice == 6:
        return SetPrompts(obj_id, [])
    if choice == 7:
        target = None if rng.random() < 0.3 else obj_id
        return SetEffects(target, [{"type": "blur", "strength": rng.randrange(1, 30)}])
    return MoveObject(obj_id, rng.randrange(len(ids)))


def _invalid(cmd: Command) -> bool:
    return (
        isinstance(cmd, SetObjectAttr)
        and cmd.attr == "colour"
        and not isinstance(cmd.value, str)
        or (
            isinstance(cmd, SetObjectAttr)
            and cmd.attr == "visible"
            and not isinstance(cmd.value, bool)
        )
    )


def test_random_edits_undo_to_the_exact_document_and_redo_back(project: Project) -> None:
    rng = random.Random(5)
    stack = UndoStack(project)
    snapshots = [dumps_project(project)]
    for _ in range(120):
        cmd = _random_command(project, rng)
        if _invalid(cmd):
            with pytest.raises(ProjectError):
                project.apply(cmd)
            assert dumps_project(project) == snapshots[-1]  # a refused edit changes nothing
            continue
        stack.push(cmd)
        snapshots.append(dumps_project(project))
    for expected in reversed(snapshots[:-1]):
        stack.undo()
        assert dumps_project(project) == expected
    for expected in snapshots[1:]:
        stack.redo()
        assert dumps_project(project) == expected


def test_removed_object_comes_back_with_same_id_position_prompts_and_effects(
    project: Project,
) -> None:
    before = dumps_project(project)
    inverse = project.remove_object(1)
    assert [o.id for o in project.objects] == [2, 3]
    project.apply(inverse)
    assert dumps_project(project) == before
    assert project.objects[0].effects == [{"type": "emoji", "emoji": "🐶", "scale": 1.2}]


def test_new_ids_are_never_reused_after_remove(project: Project) -> None:
    project.remove_object(3)
    assert project.add_object().id == 4


def test_add_object_defaults(project: Project) -> None:
    obj = project.add_object()
    assert obj.name == f"object {obj.id}" and obj.visible
    assert obj.colour not in {o.colour for o in project.objects if o is not obj}
    assert project.objects[-1] is obj


def test_events_tell_views_what_changed(project: Project) -> None:
    events: list[ProjectEvent] = []
    project.events.connect(events.append)
    project.rename_object(2, "red ball")
    project.set_effects(None, [])
    project.move_object(3, 0)
    inverse = project.clear_prompts(2)
    project.apply(inverse)
    assert events == [
        ProjectEvent("object_changed", 2, "name"),
        ProjectEvent("dirty_changed"),
        ProjectEvent("effects_changed", None),
        ProjectEvent("objects_reordered", 3),
        ProjectEvent("prompts_changed", 2),
        ProjectEvent("prompts_changed", 2),
    ]
    assert project.dirty
    project.events.disconnect(events.append)
    project.rename_object(2, "x")
    assert len(events) == 6


def test_invalid_edits_are_refused_before_anything_changes(project: Project) -> None:
    before = dumps_project(project)
    with pytest.raises(ProjectError, match="no object with id 42"):
        project.rename_object(42, "x")
    with pytest.raises(ProjectError, match='colour: expected "#rrggbb"'):
        project.set_colour(1, "blue")
    with pytest.raises(ProjectError, match="name: expected a non-empty string"):
        project.rename_object(1, "  ")
    with pytest.raises(ProjectError, match="no prompt #5"):
        project.remove_prompt(1, 5)
    with pytest.raises(ProjectError, match=r"effects\[0\]\.type"):
        project.set_effects(1, [{"kind": "blur"}])
    with pytest.raises(ProjectError, match="out of range"):
        project.move_object(1, 3)
    with pytest.raises(ProjectError, match="already in the project"):
        project.apply(AddObject(copy.deepcopy(project.objects[0])))
    # A batch that fails half-way rolls back its first half.
    with pytest.raises(ProjectError):
        project.apply(Batch((SetObjectAttr(1, "name", "ok"), RemoveObject(99)), "Two things"))
    assert dumps_project(project) == before


def test_batch_is_one_undo_step(project: Project) -> None:
    before = dumps_project(project)
    inverse = project.apply(Batch((RemoveObject(2), RemoveObject(3)), "Delete selected"))
    assert [o.id for o in project.objects] == [1] and inverse.text == "Delete selected"
    project.apply(inverse)
    assert dumps_project(project) == before


def test_command_holds_a_copy_not_a_live_reference(project: Project) -> None:
    prompt = Prompt(3, points=[[1, 1]], labels=[1])
    project.add_prompt(1, prompt)
    prompt.points.append([9, 9])  # caller keeps mutating its object
    assert project.object(1).prompts[-1].points == [[1, 1]]


def test_prompts_from_numpy_clicks_are_stored_as_plain_json(
    project: Project, tmp_path: Path
) -> None:
    import numpy as np

    from app.project import save_project

    prompt = Prompt(
        np.int64(4),
        points=np.array([[10.5, 20.0]]),
        labels=[np.True_],
        box=(np.float32(1), 2, 30, 40),
    )
    project.add_prompt(1, prompt)
    stored = project.object(1).prompts[-1]
    assert (stored.frame, stored.points, stored.labels, stored.box) == (
        4,
        [[10.5, 20.0]],
        [1],
        [1.0, 2, 30, 40],
    )
    assert type(stored.frame) is int and type(stored.labels[0]) is int
    out = save_project(project, tmp_path / "p.rotokit")
    assert load_project(out).object(1).prompts[-1] == stored


def test_the_documented_qt_adapter_works_with_a_real_qundostack(project: Project) -> None:
    """The adapter from the app.project.commands docstring, on Qt's own undo stack."""
    from PySide6.QtGui import QUndoCommand, QUndoStack

    class ProjectUndoCommand(QUndoCommand):
        def __init__(self, project, command):
            super().__init__(command.text)
            self._project = project
            self._command = project.apply(command)
            self._skip_first_redo = True

        def redo(self):
            if self._skip_first_redo:
                self._skip_first_redo = False
                return
            self._command = self._project.apply(self._command)

        def undo(self):
            self._command = self._project.apply(self._command)

    stack = QUndoStack()
    states = [dumps_project(project)]
    for command in (
        SetObjectAttr(1, "name", "hound"),
        RemoveObject(2),
        MoveObject(3, 0),
        SetEffects(None, [{"type": "blur", "strength": 3}]),
    ):
        stack.push(ProjectUndoCommand(project, command))
        states.append(dumps_project(project))
    with pytest.raises(ProjectError):
        stack.push(
            ProjectUndoCommand(project, RemoveObject(2))
        )  # already gone: refused, not pushed
    assert stack.count() == 4 and stack.undoText() == "Change background effects"
    for expected in reversed(states[:-1]):
        stack.undo()
        assert dumps_project(project) == expected
    for expected in states[1:]:
        stack.redo()
        assert dumps_project(project) == expected
