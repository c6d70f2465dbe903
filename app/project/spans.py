"""Frame spans: sorted, disjoint half-open ``(start, end)`` intervals, for mask coverage.

Why spans and not per-frame rows: an object's coverage is almost always one or two runs of
frames (one per propagation direction), so a few rows describe a whole clip, and a message can
say "frames 40-89 are missing" instead of listing them.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Span", "ALL_FRAMES", "union", "subtract", "missing", "from_frames", "describe", "count"]

Span = tuple[int, int]
ALL_FRAMES = 2**31 - 1  # an end meaning "to the last frame, whatever the clip's length"


def union(spans: Iterable[Span], add: Span) -> list[Span]:
    """`spans` plus `add`, merged (touching spans join)."""
    a, b = add
    out: list[Span] = []
    for s, e in sorted(spans):
        if e < a or s > b:
            out.append((s, e))
        else:
            a, b = min(a, s), max(b, e)
    out.append((a, b))
    return sorted(x for x in out if x[0] < x[1])


def subtract(spans: Iterable[Span], cut: Span) -> list[Span]:
    """`spans` without the frames of `cut`."""
    a, b = cut
    out: list[Span] = []
    for s, e in spans:
        if e <= a or s >= b:
            out.append((s, e))
            continue
        if s < a:
            out.append((s, a))
        if e > b:
            out.append((b, e))
    return sorted(out)


def missing(covered: Iterable[Span], start: int, end: int) -> list[Span]:
    """The spans of ``[start, end)`` not in `covered`."""
    out = [(start, end)] if start < end else []
    for span in covered:
        out = subtract(out, span)
    return out


def from_frames(frames: Iterable[int]) -> list[Span]:
    """Spans of a set of frame indices."""
    out: list[Span] = []
    for f in sorted(set(frames)):
        if out and out[-1][1] == f:
            out[-1] = (out[-1][0], f + 1)
        else:
            out.append((f, f + 1))
    return out


def count(spans: Iterable[Span]) -> int:
    return sum(e - s for s, e in spans)


def describe(spans: Iterable[Span], limit: int = 3) -> str:
    """``"0-9, 40-89"`` (inclusive frame numbers, as a person reads them)."""
    spans = list(spans)
    parts = [f"{s}" if e - s == 1 else f"{s}-{e - 1}" for s, e in spans[:limit]]
    if len(spans) > limit:
        parts.append(f"… ({len(spans) - limit} more)")
    return ", ".join(parts)
