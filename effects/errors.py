"""The one error family of the effects package (no dependency on ``app``)."""

from __future__ import annotations


class EffectError(ValueError):
    """A user-caused problem with an effect spec: unknown type, bad parameter, unreadable image.

    ``effect`` and ``param`` name what was wrong so the CLI and GUI can point at it; the message
    already contains both.
    """

    def __init__(self, message: str, *, effect: str | None = None, param: str | None = None):
        super().__init__(message)
        self.effect = effect
        self.param = param
