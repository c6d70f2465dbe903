"""Exact frames by display index, for scrubbing (random access) and rendering (sequential).

Random access seeks to the keyframe the frame depends on and decodes forward until the decoded
pts equals the indexed pts of frame ``idx`` — timestamps are the truth, never ``idx / fps``, so
VFR clips stay exact. Decoded RGB frames are kept in a byte-bounded LRU cache because one seek
costs a whole GOP of decoding; moving forward within a GOP continues the running decoder
instead of seeking again.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import av
import av.error
import cv2
import numpy as np

from app.errors import MediaError
from app.media.probe import FrameIndex, VideoInfo, inspect

__all__ = ["DEFAULT_CACHE_BYTES", "Frame", "FrameSource"]

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024

# cv2.rotate codes turning the stored picture counter-clockwise by the display rotation.
_ROTATE = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
_AVCOL_SPC_UNSPECIFIED = 2


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame: display index, pts (in ``info.time_base``), seconds from the first
    frame, and the read-only ``H×W×3 uint8`` RGB picture in display orientation."""

    index: int
    pts: int
    time: float
    rgb: np.ndarray


def to_rgb(frame: av.VideoFrame, rotation: int) -> np.ndarray:
    """Decoded frame → C-contiguous ``H×W×3 uint8`` RGB, display orientation.

    Any bit depth (10-bit sources become 8-bit) and odd sizes go through swscale. An untagged
    HD frame is read as BT.709, as players do; untagged SD keeps swscale's BT.601.
    """
    kwargs: dict[str, Any] = {}
    if frame.colorspace == _AVCOL_SPC_UNSPECIFIED and frame.height >= 720:
        kwargs["src_colorspace"] = "ITU709"
    if frame.color_range:
        kwargs["src_color_range"] = frame.color_range
    rgb: np.ndarray = frame.to_ndarray(format="rgb24", **kwargs)
    if rotation:
        rgb = cv2.rotate(rgb, _ROTATE[rotation])
    return np.ascontiguousarray(rgb)


class FrameSource:
    """Frames of one video by 0-based display index.

    Satisfies the tracker's ``FrameProvider`` protocol (``len()``, ``frame(idx)``). One
    FrameSource per thread: it owns a demuxer and a decoder.

    Parameters
    ----------
    path
        The video file; probed first, so every bad input raises :class:`MediaError`.
    cache_bytes
        Upper bound of decoded RGB frames kept for random access (0 disables the cache).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, cache_bytes: int = DEFAULT_CACHE_BYTES
    ) -> None:
        self.info: VideoInfo
        self._index: FrameIndex
        self.info, self._index = inspect(path)
        self.path = self.info.path
        self.cache_bytes = int(cache_bytes)
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_used = 0
        self._pts_to_idx = {int(p): i for i, p in enumerate(self._index.pts)}
        self._container: av.container.InputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._decoder: Iterator[tuple[int | None, av.VideoFrame]] | None = None
        self._last_idx = -1  # display index of the frame the running decoder produced last
        self._target = _Target()
        self._open()

    # -- FrameProvider ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._index.pts)

    def frame(self, idx: int) -> np.ndarray:
        """Frame ``idx`` as read-only ``H×W×3 uint8`` RGB (display orientation).

        Raises ``IndexError`` outside ``0 <= idx < len(self)`` and :class:`MediaError` when the
        file is corrupt at that frame.
        """
        idx = self._check_idx(idx)
        cached = self._cache.get(idx)
        if cached is not None:
            self._cache.move_to_end(idx)
            return cached
        rgb = to_rgb(self._decode_exact(idx), self.info.rotation)
        rgb.flags.writeable = False  # shared with the cache: callers must copy to modify
        self._remember(idx, rgb)
        return rgb

    # -- timing ------------------------------------------------------------------------------

    def pts(self, idx: int) -> int:
        """Presentation timestamp of frame ``idx`` in ``info.time_base``."""
        return int(self._index.pts[self._check_idx(idx)])

    def time(self, idx: int) -> float:
        """Seconds from the first frame to frame ``idx`` (from timestamps, exact for VFR)."""
        i = self._check_idx(idx)
        return float((int(self._index.pts[i]) - int(self._index.pts[0])) * self.info.time_base)

    def index_at(self, seconds: float) -> int:
        """Display index of the frame shown at ``seconds`` from the first frame."""
        target = self._index.pts[0] + seconds / self.info.time_base
        i = int(np.searchsorted(self._index.pts, target, side="right")) - 1
        return min(max(i, 0), len(self) - 1)

    # -- sequential --------------------------------------------------------------------------

    def iter_frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        """Decode frames ``start .. stop-1`` in order, for rendering.

        Uses its own demuxer/decoder (the random-access position is untouched) and does not
        fill the cache, so a render does not evict the frames a user is scrubbing; frames
        already cached are reused without conversion.
        """
        n = len(self)
        stop = n if stop is None else stop
        if not 0 <= start <= stop <= n:
            raise IndexError(f"frame range {start}:{stop} outside 0:{n}")
        if start == stop:
            return
        expected = start
        with av.open(self.path, metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            key = int(self._index.key_idx[start])
            key_pts = int(self._index.pts[key]) if key > 0 and not self._index.ordinal else None
            if key_pts is not None:
                try:
                    container.seek(key_pts, stream=stream, backward=True)
                except av.error.FFmpegError:
                    key_pts = None  # not seekable and still at the start: decode from there
            for pts, vf in _decode(container, stream, key_pts, ordinal=self._index.ordinal):
                idx = self._pts_to_idx.get(pts) if pts is not None else None
                if idx is None or idx < expected:
                    continue
                if idx > expected:
                    raise MediaError(
                        self.path, f"corrupt: frame {expected} of {n} cannot be decoded"
                    )
                rgb = self._cache.get(idx)
                if rgb is None:
                    rgb = to_rgb(vf, self.info.rotation)
                    rgb.flags.writeable = False
                yield Frame(idx, int(self._index.pts[idx]), self.time(idx), rgb)
                expected += 1
                if expected >= stop:
                    return
        raise MediaError(
            self.path, f"truncated or corrupt: decoding stopped at frame {expected} of {n}"
        )

    # -- cache -------------------------------------------------------------------------------

    @property
    def cache_used(self) -> int:
        """Bytes of decoded frames currently cached."""
        return self._cache_used

    def cached_indices(self) -> list[int]:
        """Cached frame indices, least recently used first."""
        return list(self._cache)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._cache_used = 0

    def _remember(self, idx: int, rgb: np.ndarray) -> None:
        if rgb.nbytes > self.cache_bytes:
            return
        self._cache[idx] = rgb
        self._cache_used += rgb.nbytes
        while self._cache_used > self.cache_bytes:
            _, old = self._cache.popitem(last=False)
            self._cache_used -= old.nbytes

    # -- decoding ----------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._container = av.open(self.path, metadata_errors="ignore")
        except av.error.FFmpegError as e:
            raise MediaError(self.path, f"cannot be opened: {e.strerror or e}") from None
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"  # frame + slice threads: ~2x decode on 2 cores
        self._decoder = None
        self._last_idx = -1

    def _check_idx(self, idx: int) -> int:
        n = len(self._index.pts)
        i = int(idx)
        if not 0 <= i < n:
            raise IndexError(f"frame {idx} outside 0..{n - 1} of {self.path}")
        return i

    def _decode_exact(self, idx: int) -> av.VideoFrame:
        """The decoded frame whose pts is frame ``idx``'s.

        Continues the running decoder when ``idx`` lies ahead in the same GOP; otherwise seeks
        to the keyframe it depends on. If the demuxer cannot land on that keyframe, it retries
        from the previous keyframe, then from the start of the file.
        """
        key = int(self._index.key_idx[idx])
        if not (self._decoder is not None and self._last_idx < idx and key <= self._last_idx + 1):
            self._seek(key)
        found = self._advance_to(idx)
        if found is None and key > 0:
            self._seek(int(self._index.key_idx[key - 1]))
            found = self._advance_to(idx)
        if found is None:
            self._seek(None)
            found = self._advance_to(idx)
        if found is None:
            raise MediaError(self.path, f"corrupt: frame {idx} of {len(self)} cannot be decoded")
        return found

    def _seek(self, key_idx: int | None) -> None:
        """Position the decoder at keyframe ``key_idx`` (display index); None: reopen the file
        and decode from its start (the fallback when a seek does not land where asked)."""
        assert self._container is not None and self._stream is not None
        key_pts = None
        if key_idx is not None and not self._index.ordinal:
            key_pts = int(self._index.pts[key_idx])  # also for the first keyframe: a seek is
            # ~1 ms, reopening the file re-parses its header (~10-25 ms, more for long files)
            try:
                self._container.seek(key_pts, stream=self._stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                key_pts = None  # not seekable: decode from the start instead
        if key_pts is None:  # reopening is the most robust "seek to start"
            self._container.close()
            self._open()
        assert self._container is not None and self._stream is not None
        self._decoder = _decode(
            self._container, self._stream, key_pts, self._target, self._index.ordinal
        )
        self._last_idx = -1

    def _advance_to(self, idx: int) -> av.VideoFrame | None:
        """Decode forward to frame ``idx``; None if the decoder passed it or ran out."""
        assert self._decoder is not None
        target = int(self._index.pts[idx])
        self._target.pts = target
        for pts, vf in self._decoder:
            if pts is None:
                continue
            i = self._pts_to_idx.get(pts)
            if i is not None:
                self._last_idx = i
            if pts == target:
                return vf
            if pts > target and i is not None and i > idx:
                break
        self._decoder = None
        return None

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the demuxer/decoder and the cache."""
        self._decoder = None
        if self._container is not None:
            self._container.close()
            self._container = None
        self.clear_cache()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        i = self.info
        return f"FrameSource({self.path!r}, {len(self)} frames, {i.width}x{i.height})"


class _Target:
    """The pts the random-access decoder is heading for (None: decode everything)."""

    pts: int | None = None


def _decode(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    key_pts: int | None = None,
    target: _Target | None = None,
    ordinal: bool = False,
) -> Iterator[tuple[int | None, av.VideoFrame]]:
    """``(pts, frame)`` of the decoded frames from the current position.

    With ``ordinal`` (files without timestamps) the pts is the frame's decode count from here,
    which is its display index when decoding starts at the top of the file.

    With ``key_pts``, packets before that keyframe are dropped undecoded: demuxers index
    differently (by dts, by pts, with edit-list shifts) and may land a GOP early; starting at
    the keyframe itself is always valid and decodes nothing twice. A corrupt packet is
    skipped, not fatal, so the frames around it stay reachable (the caller notices the
    missing pts).

    With ``target``, non-reference pictures shown before the target pts are not decoded at
    all (``skip_frame=NONREF``): nothing references them, so the target decodes bit-identical,
    and with x264's default B-frames that is about half the pictures of a long catch-up.
    """
    started = key_pts is None
    ctx = stream.codec_context
    skipping = False
    count = 0
    try:
        for packet in container.demux(stream):
            if not started:
                assert key_pts is not None
                if packet.size == 0:
                    continue
                if packet.pts != key_pts:
                    if (packet.dts is not None and packet.dts > key_pts) or (
                        packet.is_keyframe and packet.pts is not None and packet.pts > key_pts
                    ):
                        return  # the demuxer landed past our keyframe: let the caller retry
                    continue  # before our keyframe
                started = True
            if target is not None:
                skip = target.pts is not None and packet.pts is not None and packet.pts < target.pts
                if skip != skipping:
                    ctx.skip_frame = "NONREF" if skip else "DEFAULT"
                    skipping = skip
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for vf in frames:
                if ordinal:
                    yield count, vf
                    count += 1
                else:
                    yield vf.pts, vf
    except av.error.FFmpegError:
        return
