"""GUI fixtures: a real MainWindow on a real clip copy, errors captured instead of dialogs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import clip_path

pytest.importorskip("pytestqt")

MODEL = "test-random-micro"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Autosaves and QSettings go to a temp folder, never to the developer's home."""
    from PySide6.QtCore import QSettings

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ROTOKIT_CACHE", str(home / "cache"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(home / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "settings"))
    yield


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
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.editor.document.project and w.editor.document.project.set_dirty(False)
        w.close()


def wait_idle(qtbot, editor, timeout: int = 60_000) -> None:
    """Until no job runs and the outcome signals have been handled on the GUI thread."""
    qtbot.waitUntil(lambda: not editor.runner.busy and editor.runner.current is None, timeout=timeout)
    qtbot.wait(30)
