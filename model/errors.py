"""Errors the tracking engine reports to a user (one line, naming the model/object and the reason).

``app.errors`` folds these into the CLI's user-error family; ``model`` itself never imports app.
"""

from __future__ import annotations

__all__ = ["ModelError", "WeightsUnavailableError", "PromptError"]


class ModelError(Exception):
    """Base of every error raised by ``model``."""


class WeightsUnavailableError(ModelError):
    """The weights of a model are not on this machine and cannot be fetched now."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"model {name!r}: {reason}; get it with `rotokit models download {name}` "
            f"(needs internet) or pass `--weights DIR` with a local Hugging Face-format folder "
            f"(config.json + model.safetensors)"
        )


class PromptError(ModelError, ValueError):
    """A click, box or mask cannot be used (bad frame, coordinates, shape or object)."""
