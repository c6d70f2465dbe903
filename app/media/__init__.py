"""Media I/O on PyAV: probe a file, read exact frames, write videos atomically (no Qt)."""

from __future__ import annotations

from app.media.probe import AudioInfo, VideoInfo, format_info, probe
from app.media.source import Frame, FrameSource
from app.media.writer import CODECS, VideoWriter

__all__ = [
    "CODECS",
    "AudioInfo",
    "Frame",
    "FrameSource",
    "VideoInfo",
    "VideoWriter",
    "format_info",
    "probe",
]
