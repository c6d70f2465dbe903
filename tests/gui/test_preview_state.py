"""The effects preview belongs to the document (issue 13 #2): on with the first effect, remembered
per project, and never showing another file's effects."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui.conftest import wait_frame

pytestmark = pytest.mark.qt


def shown(qtbot, w) -> np.ndarray:
    """The viewer's current image as an RGB array (what the user sees, once drawn)."""
    wait_frame(qtbot, w)
    img = w.viewer.image().convertToFormat(w.viewer.image().Format.Format_RGB888)
    h, width = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h).reshape(
        h, img.bytesPerLine()
    )
    return arr[:, : width * 3].reshape(h, width, 3).copy()


def test_first_effect_turns_the_preview_on(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    assert not w.transport.preview.isChecked() and not ed.presenter.preview_effects
    raw = ed.document.frame(0)
    assert np.array_equal(shown(qtbot, w), raw)  # nothing to preview, no masks: the plain frame
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate", "block": 32})
    assert w.transport.preview.isChecked()
    pixelated = shown(qtbot, w)
    assert np.abs(pixelated.astype(int) - raw).mean() > 3  # the effect is visible at once
    ed.stack.undo()  # the last effect goes: back to the plain view
    assert not w.transport.preview.isChecked() and np.array_equal(shown(qtbot, w), raw)
    assert not errors, errors


def test_opening_another_file_never_shows_the_old_effects(
    qtbot, make_window, clip, errors, tmp_path
):
    import shutil

    from tests.shared_media import clip_path

    other = tmp_path / "people_audio.mp4"
    shutil.copy(clip_path("people_audio.mp4"), other)
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate", "block": 32})
    assert ed.save(tmp_path / "dog.rotokit")
    assert w.open_path(str(other))
    raw = ed.document.frame(0)
    assert not w.transport.preview.isChecked()
    assert np.array_equal(shown(qtbot, w), raw)
    w.named_actions[
        "preview"
    ].trigger()  # E: the preview of *this* file (no effects) is the frame itself
    assert w.transport.preview.isChecked() and ed.presenter.preview_effects
    assert np.array_equal(shown(qtbot, w), raw)
    ed.step(5)
    assert np.array_equal(shown(qtbot, w), ed.document.frame(5))
    assert not errors, errors


def test_preview_choice_is_remembered_per_project(qtbot, make_window, clip, errors, tmp_path):
    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate", "block": 32})
    assert w.transport.preview.isChecked()
    w.named_actions["preview"].trigger()  # the user prefers the masks view in this project
    assert not w.transport.preview.isChecked()
    assert ed.save(tmp_path / "dog.rotokit")
    other = make_window()
    assert other.open_path(str(tmp_path / "dog.rotokit"))
    assert not other.transport.preview.isChecked() and not other.editor.presenter.preview_effects
    assert np.array_equal(shown(qtbot, other), other.editor.document.frame(0))
    other.named_actions["preview"].trigger()
    assert other.editor.save()
    third = make_window()
    assert third.open_path(str(tmp_path / "dog.rotokit"))
    assert third.transport.preview.isChecked()
    assert np.abs(shown(qtbot, third).astype(int) - third.editor.document.frame(0)).mean() > 3
    assert not errors, errors
