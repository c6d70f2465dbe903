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
