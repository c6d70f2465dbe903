"""One exception family for everything a user can cause.

Every message names the file (or field, or object) and the reason, in one line, so the CLI can
print it as-is and the GUI can show it in a dialog. Builtins are mixed in (as PyAV does) so that
callers catching ``ValueError``/``OSError`` keep working.
"""

from __future__ import annotations

__all__ = [
    "RotokitError",
    "MediaError",
    "ProjectError",
    "ExportError",
    "Cancelled",
    "InvalidOption",
    "user_errors",
    "is_user_error",
]


class RotokitError(Exception):
    """Base of every error rotokit reports to a user."""


class MediaError(RotokitError, ValueError):
    """A video file cannot be read or written; the message names the file and why."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ProjectError(RotokitError, ValueError):
    """A project file or mask store is invalid; the message names the file/field and why."""


class ExportError(RotokitError):
    """A render or dataset export could not be completed."""


class InvalidOption(RotokitError, ValueError):
    """A command option's value is out of range or not one of its choices; names the option."""


class Cancelled(RotokitError):
    """The user stopped a long operation; nothing partial was left behind."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Every exception type whose message is meant for the user (CLI one-liner, GUI dialog)."""
    types: list[type[BaseException]] = [RotokitError]
    try:
        from model.errors import ModelError

        types.append(ModelError)
    except ImportError:  # model package not importable (e.g. torch missing): core still works
        pass
    try:
        from effects.errors import EffectError

        types.append(EffectError)
    except ImportError:
        pass
    return tuple(types)


def is_user_error(exc: BaseException) -> bool:
    """Whether ``str(exc)`` is the whole story for the user: one of `user_errors` or an
    `OSError` (a file problem, named by its path). Anything else is a bug and gets a traceback
    (the CLI's ``ROTOKIT_DEBUG=1``, the editor's "details")."""
    return isinstance(exc, (*user_errors(), OSError))
