"""The editor tells user errors from bugs with the CLI's definition (`app.errors.user_errors`)."""

from __future__ import annotations

import pytest

from app.errors import MediaError, ProjectError, user_errors
from app.gui.error_report import is_user_error
from effects.errors import EffectError
from model.errors import PromptError, WeightsUnavailableError


@pytest.mark.parametrize(
    "exc",
    [
        MediaError("clip.mp4", "not a video"),
        ProjectError("p.rotokit: objects[0]: bad"),
        EffectError("blur: strength must be > 0"),
        PromptError("frame 99 is past the clip"),
        WeightsUnavailableError("edgetam", "not downloaded"),
        FileNotFoundError(2, "No such file", "x.mp4"),
    ],
)
def test_user_errors_show_their_message_only(exc):
    assert is_user_error(exc)
    assert isinstance(exc, (*user_errors(), OSError))  # the same family the CLI prints as one line


def test_a_bug_is_a_bug_even_with_a_familiar_name():
    """Only the real exception types count: an unrelated class that merely shares a name (as
    the old name-matching check accepted) is a bug and gets its traceback."""

    class ModelError(Exception):
        pass

    assert not is_user_error(ModelError("boom"))
    assert not is_user_error(KeyError("frame"))
    assert not is_user_error(ValueError("bad"))
