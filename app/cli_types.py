"""argparse `type=` converters shared by the commands: a usage error (exit 2) names the value.

One bounded number factory instead of one hand-written parser per option, and the `--range`
converter over the one `FrameRange` parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from app.frame_range import FrameRange, RangeError

__all__ = ["bounded", "frame_range_arg"]

N = TypeVar("N", int, float)


def bounded(
    kind: type[N], low: N | None = None, high: N | None = None, *, note: str = ""
) -> Callable[[str], N]:
    """A converter to `kind` (int or float) refusing values outside ``[low, high]``.

    `note` is added to the out-of-range message (e.g. what the number means).
    """
    what = "a whole number" if kind is int else "a number"
    suffix = f" ({note})" if note else ""

    def convert(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if low is not None and high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value} must be between {low:g} and {high:g}{suffix}"
            )
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"{value} must be {low:g} or more{suffix}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{value} must be {high:g} or less{suffix}")
        return value

    return convert


def frame_range_arg(text: str) -> FrameRange:
    """`--range START:END` through the one `FrameRange` parser (a usage error when malformed)."""
    try:
        return FrameRange.parse(text)
    except RangeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
