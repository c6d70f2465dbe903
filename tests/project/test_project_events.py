"""The document's typed change signals (psygnal, no Qt) and their Qt twins in the GUI bridge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.errors import ProjectError
from app.project import (
    AddObject,
    Batch,
    Project,
    ProjectEvents,
    Prompt,
    RemoveObject,
    add_object,
    add_prompt,
    clear_prompts,
    load_project,
    move_object,
    rename_object,
    set_effects,
    set_visible,
)


@pytest.fixture
def project(project_dir: Path) -> Project:
    project = load_project(project_dir / "clip.rotokit")
    add_object(project, "ball")
    add_object(project, "woman", colour="#00ff00")
    add_prompt(project, 2, Prompt(10, points=[[450, 230]], labels=[1]))
    project.set_dirty(False)
    return project


def _record(project: Project) -> list[tuple[str, tuple[Any, ...]]]:
    seen: list[tuple[str, tuple[Any, ...]]] = []
    project.events.all.connect(lambda info: seen.append((info.signal.name, info.args)))
    return seen


def test_each_edit_emits_the_signal_of_what_changed(project: Project) -> None:
    seen = _record(project)
    rename_object(project, 2, "red ball")
    set_effects(project, None, [])
    move_object(project, 3, 0)
    project.apply(clear_prompts(project, 2))  # and its undo
    set_visible(project, 1, False)
    obj = add_object(project)
    project.apply(Batch((RemoveObject(obj.id), RemoveObject(3)), "Delete"))
    assert project.path is not None
    project.set_path(project.path.with_name("moved.rotokit"))
    project.set_dirty(False)
    assert seen == [
        ("object_changed", (2, "name")),
        ("dirty_changed", (True,)),  # once: it only fires when the flag flips
        ("effects_changed", (None,)),
        ("objects_reordered", (3,)),
        ("prompts_changed", (2,)),
        ("prompts_changed", (2,)),
        ("object_changed", (1, "visible")),
        ("object_added", (obj.id,)),
        ("object_removed", (obj.id,)),
        ("object_removed", (3,)),
        ("project_changed", ("path",)),
        ("dirty_changed", (False,)),
    ]


def test_views_connect_to_one_signal_and_can_disconnect(project: Project) -> None:
    effects: list[int | None] = []

    def on_effects(obj_id: int | None) -> None:
        effects.append(obj_id)

    project.events.effects_changed.connect(on_effects)
    rename_object(project, 1, "x")  # another signal: not delivered here
    set_effects(project, 1, [{"type": "blur", "strength": 5}])
    set_effects(project, None, [])
    project.events.effects_changed.disconnect(on_effects)
    set_effects(project, 1, [])
    assert effects == [1, None]


def test_a_refused_edit_emits_nothing(project: Project) -> None:
    seen = _record(project)
    with pytest.raises(ProjectError, match="already in the project"):
        project.apply(AddObject(project.objects[0]))
    with pytest.raises(ProjectError, match="no object with id 42"):
        rename_object(project, 42, "x")
    assert seen == [] and not project.dirty


def test_every_project_signal_has_a_qt_twin_in_the_gui_bridge(qapp) -> None:
    """Same names and arguments: the bridge relays by name, so a new project signal without a
    twin (or with other arguments) must fail here, not at run time in a widget."""
    from PySide6.QtCore import QMetaMethod

    from app.gui.document import EditorDocument

    document = EditorDocument()
    meta = document.metaObject()
    qt_signals = {}
    for i in range(meta.methodCount()):
        method = meta.method(i)
        if method.methodType() == QMetaMethod.MethodType.Signal:
            qt_signals[bytes(method.name().data()).decode()] = method.parameterCount()
    group = ProjectEvents()
    assert len(group) == 8
    for name in group:
        signal = getattr(group, name)
        assert qt_signals.get(name) == len(signal.signature.parameters), name


def test_the_bridge_relays_project_signals_until_the_project_is_closed(
    qapp, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.gui.document import EditorDocument

    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path / "cache"))
    document = EditorDocument()
    got: list[tuple[str, tuple[Any, ...]]] = []
    for name in ("object_added", "prompts_changed", "effects_changed", "dirty_changed"):
        getattr(document, name).connect(lambda *args, n=name: got.append((n, args)))
    document.open_project(project_dir / "clip.rotokit")
    project = document.project
    assert project is not None
    obj = add_object(project, "ball")
    add_prompt(project, obj.id, Prompt(0, box=[1, 2, 30, 40]))
    set_effects(project, None, [])
    assert got == [
        ("dirty_changed", (False,)),  # on open
        ("object_added", (obj.id,)),
        ("dirty_changed", (True,)),
        ("prompts_changed", (obj.id,)),
        ("effects_changed", (None,)),
    ]
    got.clear()
    project.set_dirty(False)
    document.close()
    set_effects(project, 1, [])  # a closed project is no longer relayed
    assert got == [("dirty_changed", (False,))]
