"""Autosaves never cause a false recovery prompt (issue 13 #3)."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.qt


def recover_questions(questions) -> list[str]:
    return [q for q in questions.asked if q.startswith("Recover")]


def test_saving_a_clip_as_a_project_removes_its_autosave(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    from app.project import autosave_path, masks_path_for

    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    ed.autosave()
    auto = autosave_path(ed.document.project)
    assert auto.is_file() and masks_path_for(auto).is_file()
    assert ed.save(tmp_path / "dog.rotokit")
    assert not auto.exists() and not masks_path_for(auto).exists()
    (obj,) = ed.document.project.objects
    assert ed.document.store.get(0, obj.id) is not None  # the masks moved with the project
    w.close()
    w2 = make_window()
    assert w2.open_path(str(clip))  # the clip itself: nothing to recover, nothing asked
    assert w2.open_path(str(tmp_path / "dog.rotokit"))
    assert recover_questions(questions) == [] and not errors, errors


def test_recovery_only_when_the_autosave_is_newer_and_differs(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    import os

    from app.project import add_object, autosave_path, load_project, save_project

    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    project_path = tmp_path / "dog.rotokit"
    assert ed.save(project_path)
    w.close()
    # an autosave identical to the saved project (e.g. written just before the save): no prompt
    project = load_project(project_path)
    auto = autosave_path(project)
    save_project(project, auto)
    os.utime(auto, (project_path.stat().st_mtime + 5,) * 2)
    w2 = make_window()
    assert w2.open_path(str(project_path))
    assert recover_questions(questions) == [] and not auto.exists()  # and it is cleaned up
    w2.close()
    # an autosave that differs but is older than the save: no prompt either
    add_object(project, "old")
    save_project(project, auto)
    os.utime(auto, (project_path.stat().st_mtime - 5,) * 2)
    w3 = make_window()
    assert w3.open_path(str(project_path))
    assert recover_questions(questions) == []
    w3.close()
    # newer and different: that is unsaved work, offered
    save_project(project, auto)
    os.utime(auto, (project_path.stat().st_mtime + 5,) * 2)
    w4 = make_window()
    assert w4.open_path(str(project_path))
    assert len(recover_questions(questions)) == 1 and not errors, errors


def test_closing_a_clean_project_leaves_no_autosave(
    qtbot, make_window, clip, errors, questions, tmp_path
):
    from app.project import autosave_path

    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    assert ed.save(tmp_path / "dog.rotokit")
    ed.click(480, 220, 1)
    wait_idle(qtbot, ed)
    ed.autosave()
    auto = autosave_path(ed.document.project)
    assert auto.is_file()
    assert ed.save()
    assert not auto.exists()
    ed.document.project.set_dirty(True)
    ed.autosave()
    assert auto.is_file()
    ed.document.project.set_dirty(False)  # e.g. undone back to the saved state
    assert w.open_path(str(clip))  # closing the project
    assert not auto.exists() and not errors, errors
