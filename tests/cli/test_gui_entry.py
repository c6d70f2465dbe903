"""`rotokit [VIDEO|PROJECT]` fails in one line where the editor cannot start."""

from __future__ import annotations

import sys

import pytest

from app.cli import main


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is an X11/Wayland idea")
def test_no_display_is_a_clear_error_not_a_qt_abort(monkeypatch, capsys, tmp_path):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "no display" in err and err.count("\n") == 1


def test_missing_file_is_named(capsys, tmp_path):
    missing = tmp_path / "holiday.mp4"
    assert main([str(missing)]) == 1
    assert "holiday.mp4: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--model", "test-random-micro", "--device", "cpu", "--weights", "W", "CLIP"],
        ["CLIP", "--model", "test-random-micro", "--weights", "W", "--device", "cpu"],
        ["gui", "--weights", "W", "CLIP", "--model", "test-random-micro", "--device", "cpu"],
    ],
)
def test_model_options_before_or_after_the_clip_and_for_gui(argv, monkeypatch, tmp_path):
    """`rotokit --model M clip.mp4`, `rotokit clip.mp4 --model M` and
    `rotokit gui --weights DIR clip`
    all open the editor with the same model, device and weights."""
    import app.gui

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    seen = {}
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(app.gui, "run", lambda path, **kw: seen.update(path=path, **kw) or 0)
    argv = [str(clip) if a == "CLIP" else str(tmp_path / "w") if a == "W" else a for a in argv]
    assert main(argv) == 0
    assert seen == {
        "path": str(clip),
        "model": "test-random-micro",
        "device": "cpu",
        "weights": str(tmp_path / "w"),
    }
