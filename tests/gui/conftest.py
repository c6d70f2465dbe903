"""GUI fixtures: a real MainWindow on a real clip copy, errors captured instead of dialogs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.shared_media import clip_path

pytest.importorskip("pytestqt")

MODEL = "test-random-micro"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Autosaves and QSettings go to a temp folder, never to the developer's home."""
    from PySide6.QtCore import QSettings

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ROTOKIT_CACHE", str(home / "cache"))
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home / "settings")
    )
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "settings"))
    yield


@pytest.fixture(autouse=True)
def questions(monkeypatch: pytest.MonkeyPatch):
    """Modal questions never block a headless run: they are recorded and answered from
    ``answers`` (default: Discard / No / Ok)."""
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []
    answers: list = []

    def question(parent, title, text, *a, **k):
        asked.append(f"{title}: {text}")
        if answers:
            return answers.pop(0)
        buttons = a[0] if a else QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        if buttons & QMessageBox.StandardButton.Discard:
            return QMessageBox.StandardButton.Discard
        return QMessageBox.StandardButton.No

    def information(parent, title, text, *a, **k):
        asked.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(information))
    return type("Questions", (), {"asked": asked, "answers": answers})


@pytest.fixture
def errors():
    """Every report_error call lands here; tests assert on it (and that it stays empty)."""
    from app.gui.error_report import set_error_sink

    seen: list[tuple[str, BaseException]] = []
    set_error_sink(lambda title, exc: seen.append((title, exc)))
    yield seen
    set_error_sink(None)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """dog_ball.mp4 (90 frames, AAC audio) copied so projects and masks are written beside it."""
    dst = tmp_path / "dog_ball.mp4"
    shutil.copy(clip_path("dog_ball.mp4"), dst)
    return dst


@pytest.fixture
def make_window(qtbot, errors):
    from app.gui.main_window import MainWindow

    made = []

    def make(model: str = MODEL):
        w = MainWindow(model=model, device="cpu")
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
        w.deleteLater()


def wait_idle(qtbot, editor, timeout: int = 120_000) -> None:
    """Until no job runs and the outcome signals have been handled on the GUI thread."""
    qtbot.waitUntil(
        lambda: not editor.runner.busy and editor.runner.current is None, timeout=timeout
    )
    qtbot.wait(30)


def wait_frame(qtbot, window, timeout: int = 30_000) -> None:
    """Until the viewer shows the image of the playhead (drawn on the loader thread)."""
    qtbot.waitUntil(lambda: not window.editor.frame_pending, timeout=timeout)
