"""`app.errors.is_user_error`: the one definition of "the message is the whole story"."""

from __future__ import annotations

import pytest

from app.errors import Cancelled, MediaError, ProjectError, is_user_error, user_errors
from app.frame_range import RangeError
from effects.errors import EffectError
from model.errors import ModelError, PromptError, WeightsUnavailableError


@pytest.mark.parametrize(
    "exc",
    [
        MediaError("clip.mp4", "no such file"),
        ProjectError("a.rotokit: bad"),
        RangeError("--range 5:2: END must be greater than START"),
        Cancelled("stopped"),
        ModelError("model x: broken"),
        WeightsUnavailableError("edgetam", "not downloaded"),
        PromptError("object 1: no prompt"),
        EffectError("pixelate: block must be 2 or more"),
        FileNotFoundError(2, "No such file or directory", "out.mp4"),
        PermissionError(13, "Permission denied", "/root/x"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_user_errors(exc: BaseException) -> None:
    assert is_user_error(exc)


@pytest.mark.parametrize(
    "exc",
    [ValueError("x"), KeyError("k"), RuntimeError("boom"), TypeError("t"), AssertionError()],
    ids=lambda e: type(e).__name__,
)
def test_bugs_are_not_user_errors(exc: BaseException) -> None:
    assert not is_user_error(exc)


def test_the_cli_family_has_the_model_and_effect_errors() -> None:
    families = user_errors()
    assert ModelError in families and EffectError in families
    assert not issubclass(OSError, families)  # the CLI words file problems itself (exit 1 too)
