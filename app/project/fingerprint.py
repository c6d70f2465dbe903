"""Recognise the video a project was made on, fast, so masks are never applied to another clip.

A fingerprint is the displayed size, the exact frame count (by demuxing, no decoding), the
file size and a SHA-256 of the first and last MiB. Hashing the whole file would be exact but
takes seconds on long clips; the head holds the container header and the first GOP, the tail
the index (or the last GOP), so any re-encode, trim or different clip changes it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.errors import ProjectError

__all__ = ["VideoFingerprint", "fingerprint_video", "HASH_SPAN"]

HASH_SPAN = 1 << 20  # bytes hashed at each end of the file


@dataclass(frozen=True)
class VideoFingerprint:
    """Identity of a video file: displayed size, frame count, byte size, head+tail content hash."""

    width: int
    height: int
    frame_count: int
    size: int
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "video_fingerprint") -> VideoFingerprint:
        values: dict[str, Any] = {}
        for name in ("width", "height", "frame_count", "size"):
            value = data.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ProjectError(f"{where}.{name}: expected an integer ≥ 0, got {value!r}")
            values[name] = value
        digest = data.get("hash")
        if not isinstance(digest, str) or not digest:
            raise ProjectError(f"{where}.hash: expected a hash string, got {digest!r}")
        return cls(hash=digest, **values)

    def differences(self, other: VideoFingerprint) -> list[str]:
        """Human-readable list of what differs from `other` (self = expected)."""
        diffs = []
        if (self.width, self.height) != (other.width, other.height):
            diffs.append(f"size {self.width}x{self.height} → {other.width}x{other.height}")
        if self.frame_count != other.frame_count:
            diffs.append(f"frame count {self.frame_count} → {other.frame_count}")
        if self.size != other.size:
            diffs.append(f"file size {self.size} → {other.size} bytes")
        if self.hash != other.hash:
            diffs.append("content differs")
        return diffs


def _content_hash(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    digest.update(str(size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(HASH_SPAN))
        if size > HASH_SPAN:
            fh.seek(max(HASH_SPAN, size - HASH_SPAN))
            digest.update(fh.read(HASH_SPAN))
    return "sha256:" + digest.hexdigest()


def fingerprint_video(path: str | os.PathLike[str]) -> VideoFingerprint:
    """Fingerprint the video at `path`; `ProjectError` naming the file if it is missing or unreadable.

    Size and frame count come from `app.media.probe`, so they are the displayed size and the
    exact frame count that frame indices (prompts, masks) refer to.
    """
    from app.errors import MediaError
    from app.media import (
        probe,
    )  # imported here: loading a project file must not need the media stack

    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"{path}: video not found")
    try:
        info = probe(path)
    except MediaError as exc:
        raise ProjectError(str(exc)) from None
    size = path.stat().st_size
    return VideoFingerprint(
        info.width, info.height, info.frame_count, size, _content_hash(path, size)
    )
