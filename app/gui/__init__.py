"""PySide6 editor. The only package allowed to import Qt.

``run(path)`` is what ``rotokit [VIDEO | PROJECT]`` calls.
"""

from __future__ import annotations

__all__ = ["run"]


def run(
    path: str | None = None,
    *,
    model: str | None = None,
    device: str | None = None,
    weights: str | None = None,
) -> int:
    """Open the editor window (on ``path``: a video or a ``.rotokit`` project); returns the exit
    code."""
    import logging
    import sys
    import threading

    from PySide6.QtWidgets import QApplication

    from app.gui.error_report import install_excepthook
    from app.gui.main_window import MainWindow
    from app.gui.theme import apply_dark_theme

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    threading.Thread(target=_warm_model_imports, name="rotokit-warm-imports", daemon=True).start()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("rotokit")
    app.setOrganizationName("rotokit")
    apply_dark_theme(app)
    window = MainWindow(model=model, device=device, weights=weights)
    install_excepthook(lambda: window)
    window.show()
    if path:
        window.open_path(str(path))
    return int(app.exec())


def _warm_model_imports() -> None:
    """While the window opens and a file is picked: the model code's imports are most of the
    time from opening a clip to its first mask (`bench/tracking.py --only cold`)."""
    import logging

    try:
        from model.tracking import warm_imports

        warm_imports()
    except Exception:  # noqa: BLE001 - the model load itself reports anything real
        logging.getLogger(__name__).debug("warming the model imports failed", exc_info=True)
