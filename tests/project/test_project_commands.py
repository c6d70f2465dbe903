"""The command API and the GUI's one undo adapter (`app.gui.undo`) on a real `QUndoStack`:
every edit undoes and redoes to the exact document, refused edits never reach the stack, and a
dragged effect parameter merges into one undo step."""

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
    Prompt,
    RemoveObject,
    RemovePrompt,
    SetEffects,
    SetObjectAttr,
    SetPrompts,
    add_object,
    add_prompt,
    dumps_project,
    load_project,
    move_object,
    remove_object,
    remove_prompt,
    rename_object,
    save_project,
    set_colour,
    set_effects,
)


@pytest.fixture
def project(project_dir: Path) -> Project:
    project = load_project(project_dir / "clip.rotokit")
    add_object(project, "ball")
    add_object(project, "woman", colour="#00ff00")
    add_prompt(project, 2, Prompt(10, points=[[450, 230]], labels=[1]))
    project.set_dirty(False)
    return project


@pytest.fixture
def undo_stack(qapp):
    from PySide6.QtGui import QUndoStack

    return QUndoStack()


def _random_command(project: Project, rng: random.Random) -> Command:
    ids = [o.id for o in project.objects]
    choice = rng.randrange(9) if ids else 0
    obj_id = rng.choice(ids) if ids else 0
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
    return isinstance(cmd, SetObjectAttr) and (
        cmd.attr == "colour"
        and not isinstance(cmd.value, str)
        or cmd.attr == "visible"
        and not isinstance(cmd.value, bool)
    )


def test_random_edits_undo_to_the_exact_document_and_redo_back(
    project: Project, undo_stack
) -> None:
    """120 random edits through the GUI's adapter: Ctrl+Z walks back through every state."""
    from app.gui.undo import push

    rng = random.Random(5)
    snapshots = [dumps_project(project)]
    refused = 0
    for _ in range(120):
        cmd = _random_command(project, rng)
        if _invalid(cmd):
            with pytest.raises(ProjectError):
                push(undo_stack, project, cmd)
            refused += 1
            assert dumps_project(project) == snapshots[-1]  # a refused edit changes nothing
            continue
        push(undo_stack, project, cmd)
        snapshots.append(dumps_project(project))
    assert refused and undo_stack.count() == len(snapshots) - 1  # refused edits are not pushed
    for expected in reversed(snapshots[:-1]):
        undo_stack.undo()
        assert dumps_project(project) == expected
    assert not undo_stack.canUndo()
    for expected in snapshots[1:]:
        undo_stack.redo()
        assert dumps_project(project) == expected


def test_undo_stack_labels_and_a_refused_push(project: Project, undo_stack) -> None:
    from app.gui.undo import push

    states = [dumps_project(project)]
    for command in (
        SetObjectAttr(1, "name", "hound"),
        RemoveObject(2),
        MoveObject(3, 0),
        SetEffects(None, [{"type": "blur", "strength": 3}]),
    ):
        push(undo_stack, project, command)
        states.append(dumps_project(project))
    with pytest.raises(ProjectError, match="no object with id 2"):
        push(undo_stack, project, RemoveObject(2))  # already gone: refused, not pushed
    assert undo_stack.count() == 4 and undo_stack.undoText() == "Change background effects"
    undo_stack.undo()
    assert undo_stack.redoText() == "Change background effects"
    assert undo_stack.undoText() == "Move object 3"
    assert dumps_project(project) == states[3]
    undo_stack.undo()
    undo_stack.undo()
    assert [o.id for o in project.objects] == [1, 2, 3]  # back, at its old z-order position
    undo_stack.undo()
    assert project.object(1).name == "dog" and dumps_project(project) == states[0]


def test_dragging_an_effect_parameter_is_one_undo_step(project: Project, undo_stack) -> None:
    """Edits with the same merge key (one spin box being dragged) merge; undo returns to
    before the drag, redo to its last value; another key or no key is its own step."""
    from app.gui.undo import push

    before = copy.deepcopy(project.object(1).effects)
    for scale in (1.3, 1.4, 1.5):
        effect = {"type": "emoji", "emoji": "🐶", "scale": scale}
        push(undo_stack, project, SetEffects(1, [effect]), merge_key=(1, 0, "scale"))
    assert undo_stack.count() == 1
    assert project.object(1).effects[0]["scale"] == 1.5
    push(undo_stack, project, SetEffects(None, []), merge_key=(-1, 0, "block"))
    push(undo_stack, project, SetEffects(None, [{"type": "pixelate", "block": 8}]))
    assert undo_stack.count() == 3
    undo_stack.undo()
    undo_stack.undo()
    assert project.background_effects == [{"type": "pixelate", "block": 24}]
    undo_stack.undo()
    assert project.object(1).effects == before
    undo_stack.redo()
    assert project.object(1).effects[0]["scale"] == 1.5


def test_only_effect_edits_merge(project: Project, undo_stack) -> None:
    from app.gui.undo import push

    push(undo_stack, project, SetObjectAttr(1, "name", "a"), merge_key="same")
    push(undo_stack, project, SetObjectAttr(1, "name", "b"), merge_key="same")
    assert undo_stack.count() == 2
    undo_stack.undo()
    assert project.object(1).name == "a"


def test_removed_object_comes_back_with_same_id_position_prompts_and_effects(
    project: Project,
) -> None:
    before = dumps_project(project)
    inverse = remove_object(project, 1)
    assert [o.id for o in project.objects] == [2, 3]
    project.apply(inverse)
    assert dumps_project(project) == before
    assert project.objects[0].effects == [{"type": "emoji", "emoji": "🐶", "scale": 1.2}]


def test_new_ids_are_never_reused_after_remove(project: Project) -> None:
    remove_object(project, 3)
    assert add_object(project).id == 4


def test_add_object_defaults(project: Project) -> None:
    obj = add_object(project)
    assert obj.name == f"object {obj.id}" and obj.visible
    assert obj.colour not in {o.colour for o in project.objects if o is not obj}
    assert project.objects[-1] is obj


def test_invalid_edits_are_refused_before_anything_changes(project: Project) -> None:
    before = dumps_project(project)
    with pytest.raises(ProjectError, match="no object with id 42"):
        rename_object(project, 42, "x")
    with pytest.raises(ProjectError, match='colour: expected "#rrggbb"'):
        set_colour(project, 1, "blue")
    with pytest.raises(ProjectError, match="name: expected a non-empty string"):
        rename_object(project, 1, "  ")
    with pytest.raises(ProjectError, match="no prompt #5"):
        remove_prompt(project, 1, 5)
    with pytest.raises(ProjectError, match=r"effects\[0\]\.type"):
        set_effects(project, 1, [{"kind": "blur"}])
    with pytest.raises(ProjectError, match="out of range"):
        move_object(project, 1, 3)
    with pytest.raises(ProjectError, match="already in the project"):
        project.apply(AddObject(copy.deepcopy(project.objects[0])))
    # A batch that fails half-way rolls back its first half.
    with pytest.raises(ProjectError):
        project.apply(Batch((SetObjectAttr(1, "name", "ok"), RemoveObject(99)), "Two things"))
    assert dumps_project(project) == before
    assert not project.dirty


def test_batch_is_one_undo_step(project: Project) -> None:
    before = dumps_project(project)
    inverse = project.apply(Batch((RemoveObject(2), RemoveObject(3)), "Delete selected"))
    assert [o.id for o in project.objects] == [1] and inverse.text == "Delete selected"
    project.apply(inverse)
    assert dumps_project(project) == before


def test_command_holds_a_copy_not_a_live_reference(project: Project) -> None:
    prompt = Prompt(3, points=[[1, 1]], labels=[1])
    add_prompt(project, 1, prompt)
    assert prompt.points is not None
    prompt.points.append([9, 9])  # caller keeps mutating its object
    assert project.object(1).prompts[-1].points == [[1, 1]]


def test_prompts_from_numpy_clicks_are_stored_as_plain_json(
    project: Project, tmp_path: Path
) -> None:
    import numpy as np

    prompt = Prompt(
        np.int64(4),
        points=np.array([[10.5, 20.0]]),
        labels=[np.True_],
        box=(np.float32(1), 2, 30, 40),
    )
    add_prompt(project, 1, prompt)
    stored = project.object(1).prompts[-1]
    assert (stored.frame, stored.points, stored.labels, stored.box) == (
        4,
        [[10.5, 20.0]],
        [1],
        [1.0, 2, 30, 40],
    )
    assert stored.labels is not None
    assert type(stored.frame) is int and type(stored.labels[0]) is int
    out = save_project(project, tmp_path / "p.rotokit")
    assert load_project(out).object(1).prompts[-1] == stored
