"""Errors the tracking engine reports to a user (one line, naming the model/object and the reason).

``app.errors`` folds these into the CLI's user-error family; ``model`` itself never imports app.
"""

from __future__ import annotations

__all__ = ["ModelError", "WeightsUnavailableError", "PromptError"]


class ModelError(Exception):
    """Base of every error raised by ``model``."""


class WeightsUnavailableError(ModelError):
    """The weights of a model are not on this machine and cannot be fetched now."""

    def __init__(self, name: str, reason: str, fix: str | None = None) -> None:
        self.name = name
        self.reason = reason
        if fix is None:
            fix = (
                f"get it with `rotokit models download {name}` (needs internet) or pass "
                f"`--weights DIR` with a local Hugging Face-format folder (config.json + model.safetensors)"
            )
        super().__init__(f"model {name!r}: {reason}; {fix}")


class PromptError(ModelError, ValueError):
    """A click, box or mask cannot be used (bad frame, coordinates, shape or object)."""
