"""Which codecs rotokit writes, into which containers, and how each is set up.

Why a module of its own: the CLI, the batch planner and anonymize check a codec/extension pair
before any work starts (a wrong output name fails in a second, not after tracking), and that
check must not need the encoder machinery of `app.media.writer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import av.error

from app.errors import MediaError

__all__ = ["CODECS", "CONTAINERS", "CodecSpec", "check_codec_container"]


@dataclass(frozen=True)
class CodecSpec:
    """How rotokit encodes one user-facing codec name."""

    encoder: str
    containers: tuple[str, ...]  # output extensions accepted, first = suggested
    pix_fmt: str  # even sizes, no alpha
    odd_pix_fmt: str  # odd sizes: keeps the exact size
    alpha_pix_fmt: str | None  # None: codec cannot carry alpha
    crf: int | None
    preset: str | None


CODECS: dict[str, CodecSpec] = {
    # CRF 18 is visually lossless for x264; "medium" is x264's own default trade-off.
    "h264": CodecSpec(
        "libx264", (".mp4", ".mov", ".mkv"), "yuv420p", "yuv444p", None, 18, "medium"
    ),
    # x265 "medium" runs ~5 fps at 1080p on 2 cores; "fast" costs little quality at CRF 22.
    "hevc": CodecSpec("libx265", (".mp4", ".mov", ".mkv"), "yuv420p", "yuv444p", None, 22, "fast"),
    "vp9": CodecSpec("libvpx-vp9", (".webm", ".mkv"), "yuv420p", "yuv444p", "yuva420p", 32, None),
    # ProRes 4444 (profile 4) keeps alpha as yuva444p10le; 4:4:4 also takes odd sizes.
    "prores": CodecSpec(
        "prores_ks", (".mov",), "yuv444p10le", "yuv444p10le", "yuva444p10le", None, None
    ),
    # FFV1 in packed RGB is lossless for our RGB frames (no YUV matrix at all).
    "ffv1": CodecSpec("ffv1", (".mkv",), "bgr0", "bgr0", "bgra", None, None),
}

# extension -> FFmpeg muxer
CONTAINERS: dict[str, str] = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".webm": "webm",
}


def check_codec_container(path: Path, codec: str) -> CodecSpec:
    """The spec of `codec` if it can be written to `path`'s extension by this FFmpeg build;
    else a `MediaError` naming the file and what to use instead."""
    if codec not in CODECS:
        raise MediaError(path, f"unknown codec {codec!r} (choose from {', '.join(CODECS)})")
    ext = path.suffix.lower()
    if ext not in CONTAINERS:
        raise MediaError(
            path, f"unknown output extension {ext or '(none)'!r} (use .mp4, .mov, .mkv or .webm)"
        )
    spec = CODECS[codec]
    if ext not in spec.containers:
        raise MediaError(
            path, f"codec {codec} cannot be written to {ext} (use {' or '.join(spec.containers)})"
        )
    try:
        av.codec.Codec(spec.encoder, "w")
    except (av.error.FFmpegError, ValueError):
        raise MediaError(
            path, f"codec {codec} needs the {spec.encoder} encoder, missing from this FFmpeg build"
        ) from None
    return spec
