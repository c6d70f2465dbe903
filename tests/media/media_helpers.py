"""Helpers for the media tests: the shared clips, bad inputs made on the fly, audio onsets."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np

from tests.shared_media import CLIPS, MEDIA, clip_path  # noqa: F401  (re-exported)


def audio_packets(path: Path, stream_index: int = 0) -> list[bytes]:
    """Payloads of every muxable audio packet (dts set), in order."""
    with av.open(str(path)) as c:
        s = c.streams.audio[stream_index]
        return [bytes(p) for p in c.demux(s) if p.dts is not None and p.size]


def video_times(path: Path) -> list[float]:
    """Presentation times of every decoded video frame, seconds from the first frame."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pts = sorted(f.pts * s.time_base for f in c.decode(s))
    return [float(p - pts[0]) for p in pts]


def beep_onsets(path: Path, threshold: float = 0.1, gap_s: float = 0.1) -> list[float]:
    """Times (s, container clock) where the decoded audio envelope rises above ``threshold``
    after at least ``gap_s`` of quiet."""
    chunks = []
    t0 = None
    rate = 0
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        for f in c.decode(s):
            a = f.to_ndarray().astype(np.float64)
            a = (
                a.mean(axis=0)
                if f.format.is_planar
                else a.reshape(-1, len(f.layout.channels)).mean(axis=1)
            )
            if t0 is None:
                t0 = float(f.pts * f.time_base)
                rate = f.sample_rate
            chunks.append(a)
    assert t0 is not None, f"{path}: no audio decoded"
    loud = np.flatnonzero(np.abs(np.concatenate(chunks)) > threshold)
    if loud.size == 0:
        return []
    starts = [loud[0]] + [j for i, j in itertools.pairwise(loud) if j - i > gap_s * rate]
    return [t0 + j / rate for j in starts]
