"""Opening the editor starts importing the model code on a background thread, so opening a clip
later only has the weights to load (cold start, `bench/tracking.py --only cold`)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.shared_media import REPO

pytestmark = pytest.mark.qt


def test_warm_imports_loads_the_model_code_it_names():
    code = (
        "import sys\n"
        "from model.tracking import warm_imports\n"
        "heavy = ('transformers.models.edgetam_video.modeling_edgetam_video', "
        "'transformers.models.sam2_video.modeling_sam2_video', 'timm.models.repvit')\n"
        "assert not any(m in sys.modules for m in heavy), 'imported before warming'\n"
        "warm_imports()\n"
        "print([m in sys.modules for m in heavy])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[True, True, True]"


def test_the_editor_warms_the_model_imports_while_its_window_opens(qapp, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWidget

    import app.gui
    import app.gui.error_report
    import app.gui.main_window
    import app.gui.theme

    warmed = threading.Event()
    names: list[str] = []

    def warm() -> None:
        names.append(threading.current_thread().name)
        warmed.set()

    class Window(QWidget):
        def __init__(self, **_kwargs: object) -> None:
            super().__init__()

    monkeypatch.setattr(app.gui, "_warm_model_imports", warm)
    monkeypatch.setattr(app.gui.main_window, "MainWindow", Window)
    monkeypatch.setattr(app.gui.theme, "apply_dark_theme", lambda _app: None)
    monkeypatch.setattr(app.gui.error_report, "install_excepthook", lambda _window: None)
    QTimer.singleShot(0, qapp.quit)
    assert app.gui.run() == 0
    assert warmed.wait(10)
    assert names == ["rotokit-warm-imports"]  # not on the GUI thread
