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

    from PySide6.QtWidgets import QApplication

    from app.gui.error_report import install_excepthook
    from app.gui.main_window import MainWindow
    from app.gui.theme import apply_dark_theme

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
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
