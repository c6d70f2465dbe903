"""`FrameRange`: the one way rotokit reads and checks a span of frames.

Why one type: the CLI's ``--range`` (track, render, export), the project file's ``"range"``
and the GUI's in/out points used to be parsed in four places with different rules (clamped
here, refused there, open ends accepted in one command only). Every range now goes through
`FrameRange.parse` (text), `FrameRange.from_json` (project file) or `FrameRange.coerce`
(a tuple from code or the GUI), and `resolve` checks it against the clip: a range reaching
past the last frame is refused with the clip's frame count, never silently cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple, Protocol

from app.errors import ProjectError

__all__ = ["FrameRange", "RangeError", "RangeLike", "frame_bounds"]


class RangeError(ProjectError):
    """A frame range is malformed or does not fit the clip; the message names where it came from."""


class FrameRange(NamedTuple):
    """Frames ``[start, end)`` in display order; ``end`` None = to the last frame.

    A tuple, so existing code that unpacks ``lo, hi = project.frame_range`` keeps working.
    """

    start: int = 0
    end: int | None = None

    @classmethod
    def parse(cls, text: str, *, source: str = "--range") -> FrameRange:
        """``START:END`` (END exclusive; either side may be empty: ``10:``, ``:50``, ``:``)."""
        start_text, sep, end_text = text.strip().partition(":")
        if not sep:
            raise RangeError(f"{source} {text!r}: expected START:END, e.g. 0:120 or 10:")
        try:
            start = int(start_text) if start_text.strip() else 0
            end = int(end_text) if end_text.strip() else None
        except ValueError:
            raise RangeError(
                f"{source} {text!r}: START and END must be whole frame numbers"
            ) from None
        return cls._checked(start, end, f"{source} {text!r}")

    @classmethod
    def from_json(cls, value: Any, *, source: str = "range") -> FrameRange:
        """The project file's ``[start, end]`` (``end`` may be null: to the last frame)."""
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value)
            and value[0] is not None
        )
        if not ok:
            raise RangeError(
                f"{source}: expected [start, end] frame indices (end may be null), got {value!r}"
            )
        return cls._checked(value[0], value[1], f"{source} {value!r}")

    @classmethod
    def coerce(cls, value: RangeLike | None, *, source: str = "frame range") -> FrameRange | None:
        """A range handed over by code (GUI spin boxes, the API): a tuple with end -1 or None
        for "to the last frame" is accepted; None stays None."""
        if value is None or isinstance(value, FrameRange):
            return value
        try:
            start, end = value
        except (TypeError, ValueError):
            raise RangeError(f"{source}: expected (start, end), got {value!r}") from None
        return cls._checked(
            int(start),
            None if end is None or end == -1 else int(end),
            f"{source} {start}:{'' if end in (None, -1) else end}",
        )

    @classmethod
    def _checked(cls, start: int, end: int | None, where: str) -> FrameRange:
        if start < 0:
            raise RangeError(f"{where}: START must be 0 or more")
        if end is not None and end <= start:
            raise RangeError(f"{where}: END must be greater than START (END is exclusive)")
        return cls(start, end)

    def resolve(
        self,
        n_frames: int,
        *,
        source: str = "range",
        clip: str | None = None,
    ) -> tuple[int, int]:
        """``(start, end)`` on a clip of `n_frames`; `RangeError` when it does not fit.

        `source` names where the range came from (``--range``, ``FILE: range``), `clip` the video.
        """
        end = n_frames if self.end is None else self.end
        if self.start >= n_frames or end > n_frames:
            of = f" of {clip}" if clip else ""
            raise RangeError(
                f"{source} {self} goes past the clip's {n_frames} frames{of} (0 to "
                f"{n_frames - 1}); use e.g. {min(self.start, n_frames - 1)}: to run to the end"
            )
        return self.start, end

    def to_json(self) -> list[int | None]:
        return [self.start, self.end]

    def __str__(self) -> str:
        return f"{self.start}:{'' if self.end is None else self.end}"


#: a range handed over by code: a `FrameRange` or a ``(start, end)`` tuple (end None or -1: to
#: the last frame), read by `FrameRange.coerce`
RangeLike = FrameRange | tuple[int, int | None]


class _RangedProject(Protocol):
    """What `frame_bounds` reads of a `Project` (named only to word its errors)."""

    @property
    def path(self) -> Path | None: ...

    @property
    def video_path(self) -> Path: ...


def frame_bounds(
    project: _RangedProject,
    n_frames: int,
    frame_range: RangeLike | None,
    default: RangeLike | None = None,
) -> tuple[int, int]:
    """``[start, end)`` of a command's range, else `default` (the project's range), else the
    whole clip: the one rule track, render and export share. A range past the clip is a
    `RangeError` naming where the range came from, never clamped."""
    given = FrameRange.coerce(frame_range, source="--range")
    if given is not None:
        return given.resolve(n_frames, source="--range", clip=str(project.video_path))
    stored = FrameRange.coerce(default)
    return (stored or FrameRange()).resolve(
        n_frames, source=f"{project.path}: range", clip=str(project.video_path)
    )
