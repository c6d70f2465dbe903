"""The ONE place the editor reports errors: a dialog with the reason, never a crash.

Widgets, operations and workers all route failures here (Anki's ``show_exception``). A user
error (`app.errors.is_user_error`, the CLI's definition: `app.errors.user_errors` or an
``OSError``) shows its one-line message; anything else is a bug: the dialog says
so and carries the traceback in "details".
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["report_error", "is_user_error", "install_excepthook", "set_error_sink"]

log = logging.getLogger(__name__)

# Tests replace the dialog with a list so a failure is asserted, not clicked away.
_sink: Callable[[str, BaseException], None] | None = None


def set_error_sink(sink: Callable[[str, BaseException], None] | None) -> None:
    """Redirect reports to ``sink(title, exc)`` instead of a modal dialog (tests, benches)."""
    global _sink
    _sink = sink


def is_user_error(exc: BaseException) -> bool:
    """True for errors a user can cause (their message is the whole story): the CLI's test."""
    from app.errors import is_user_error as core_is_user_error

    return core_is_user_error(exc)


def report_error(parent: QWidget | None, exc: BaseException, title: str = "Error") -> None:
    """Show ``exc`` to the user; never raises."""
    try:
        message = str(exc) or type(exc).__name__
        if not is_user_error(exc):
            log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
            message = f"Unexpected {type(exc).__name__}: {message}"
        if _sink is not None:
            _sink(title, exc)
            return
        box = QMessageBox(parent)
        box.setIcon(
            QMessageBox.Icon.Critical if not is_user_error(exc) else QMessageBox.Icon.Warning
        )
        box.setWindowTitle(title)
        box.setText(message)
        if not is_user_error(exc):
            box.setDetailedText(
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            )
        box.exec()
    except Exception:  # noqa: BLE001 - the reporter itself must never take the window down
        log.exception("could not report error %r", exc)


def install_excepthook(parent_getter: Callable[[], QWidget | None]) -> None:
    """Route uncaught exceptions in Qt slots to the dialog instead of aborting the process."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        report_error(parent_getter(), exc.with_traceback(tb))

    sys.excepthook = hook
