"""Recognise the video a project was made on, fast, so masks are never applied to another clip.

A fingerprint is the displayed size, the exact frame count (by demuxing, no decoding), the
file size and a SHA-256 of the first and last MiB. Hashing the whole file would be exact but
takes seconds on long clips; the head holds the container header and the first GOP, the tail
the index (or the last GOP), so any re-encode, trim or different clip changes it.

This module is the plain record (no media stack): `app.project.video_check.fingerprint_video`
probes a file to make one.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.errors import ProjectError

__all__ = ["VideoFingerprint", "content_hash", "HASH_SPAN"]

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


def content_hash(path: Path, size: int) -> str:
    """SHA-256 of the byte size and the first and last `HASH_SPAN` bytes of the file."""
    digest = hashlib.sha256()
    digest.update(str(size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(HASH_SPAN))
        if size > HASH_SPAN:
            fh.seek(max(HASH_SPAN, size - HASH_SPAN))
            digest.update(fh.read(HASH_SPAN))
    return "sha256:" + digest.hexdigest()
