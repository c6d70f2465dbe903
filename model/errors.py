"""Errors the tracking engine reports to a user (one line, naming the model/object and the reason).

``app.errors`` folds these into the CLI's user-error family; ``model`` itself never imports app.
"""

from __future__ import annotations

__all__ = [
    "ModelError",
    "WeightsUnavailableError",
    "DownloadCancelled",
    "PromptError",
    "missing_model_fix",
]


class ModelError(Exception):
    """Base of every error raised by ``model``."""


def missing_model_fix(name: str) -> str:
    """The three ways out when a model's weights are missing, as one sentence."""
    return (
        f"get it with `rotokit models download {name}` (needs internet), "
        "pass `--weights DIR` with a local Hugging Face-format folder "
        "(config.json + model.safetensors), or try rotokit with "
        "`--model test-random-micro` (random weights for tests: the masks are meaningless)"
    )


class WeightsUnavailableError(ModelError):
    """The weights of a model are not on this machine and cannot be fetched now."""

    def __init__(self, name: str, reason: str, fix: str | None = None) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"model {name!r}: {reason}; {fix if fix is not None else missing_model_fix(name)}"
        )


class DownloadCancelled(ModelError):
    """The user stopped a weights download (nothing partial is kept in the cache)."""


class PromptError(ModelError, ValueError):
    """A click, box or mask cannot be used (bad frame, coordinates, shape or object)."""
