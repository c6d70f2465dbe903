"""What a video file holds, measured rather than trusted.

Containers lie (VFR files advertise a base rate, some muxers write no frame count, truncated
files keep the header of the full file), so ``probe`` demuxes every video packet once — cheap,
no decoding — and builds the per-frame timestamp index that :class:`~app.media.FrameSource`
reuses for exact seeking. Every way a user's file can be unusable becomes one
:class:`~app.errors.MediaError` naming the file and the reason.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from app.errors import MediaError
from app.file_kinds import describe_special

__all__ = ["AudioInfo", "FrameIndex", "VideoInfo", "format_info", "inspect", "probe"]


@dataclass(frozen=True)
class AudioInfo:
    """One audio stream: enough to decide copy-or-transcode and to show the user."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass(frozen=True)
class VideoInfo:
    """Facts about the first video stream of a file, in display orientation.

    ``width``/``height`` are the displayed size (rotation applied); ``rotation`` is the angle in
    degrees (0/90/180/270) the stored picture is turned counter-clockwise for display, the
    ffprobe convention (``rotated.mp4``: stored 640x360, rotation 90, shown 360x640).
    ``frame_count`` is counted from the packets, ``duration`` spans first pts to the end of the
    last frame, ``time_base`` is the unit of every pts in rotokit.
    """

    path: str
    width: int
    height: int
    rotation: int
    avg_fps: float
    base_fps: float
    frame_count: int
    duration: float
    pix_fmt: str
    codec: str
    time_base: Fraction
    audio: tuple[AudioInfo, ...] = ()
    container: str = ""
    coded_width: int = 0
    coded_height: int = 0
    vfr: bool = False
    start_pts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``time_base`` as ``"1/15360"``) for ``rotokit info --json``."""
        d = asdict(self)
        d["time_base"] = f"{self.time_base.numerator}/{self.time_base.denominator}"
        d["audio"] = [asdict(a) for a in self.audio]
        return d


@dataclass
class FrameIndex:
    """Per-frame timing of the video stream, in display order (internal to app.media)."""

    pts: np.ndarray  # int64, sorted: pts of display frame i
    key_pts: np.ndarray  # int64: pts of the keyframe decoding of frame i must start at
    key_idx: np.ndarray  # int64: display index of the keyframe decoding of frame i starts at
    durations: list[int] = field(default_factory=list)
    # True when the file carries no timestamps (raw .h264/.hevc streams): frame i is the i-th
    # decoded frame, its pts is i in a time base of 1/fps, and only the file start is seekable.
    ordinal: bool = False


def probe(path: str | os.PathLike[str], *, verify: bool = False) -> VideoInfo:
    """Measure the video file at ``path``.

    Parameters
    ----------
    path
        A video file (any container/codec FFmpeg can demux and decode).
    verify
        Also decode every frame (slow on long files) to find corruption in the middle of a file
        whose packets are all present. Truncation is found without it.

    Raises
    ------
    MediaError
        Missing path, a directory, unreadable, empty, not a media file, no video stream,
        unsupported codec, truncated or corrupt.
    """
    info, _ = inspect(path, verify=verify)
    return info


def inspect(path: str | os.PathLike[str], *, verify: bool = False) -> tuple[VideoInfo, FrameIndex]:
    """``probe`` plus the frame index; used by FrameSource to avoid a second demux."""
    p = Path(path)
    _check_path(p)
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.InvalidDataError:
        if _looks_like_media(p):
            raise MediaError(
                p, "truncated or corrupt: the container header/index cannot be read"
            ) from None
        raise MediaError(p, "not a media file (FFmpeg found no known format in it)") from None
    except av.error.PermissionError:
        raise MediaError(p, "unreadable: permission denied") from None
    except av.error.FFmpegError as e:
        raise MediaError(p, f"cannot be opened: {e.strerror or e}") from None
    with container:
        return _inspect_open(p, container, verify)


def _check_path(p: Path) -> None:
    if not p.exists():
        raise MediaError(p, "no such file")
    if p.is_dir():
        raise MediaError(p, "is a directory, not a video file")
    kind = describe_special(p)
    if kind is not None:  # a FIFO or device would block or stream forever: say what it is
        raise MediaError(p, f"is {kind}, not a video file")
    if not os.access(p, os.R_OK):
        raise MediaError(p, "unreadable: permission denied")
    try:
        with p.open("rb") as fh:
            head = fh.read(1)
    except OSError as e:
        raise MediaError(p, f"unreadable: {e.strerror or e}") from None
    if not head:
        raise MediaError(p, "empty file (0 bytes)")


def _inspect_open(
    p: Path, container: av.container.InputContainer, verify: bool
) -> tuple[VideoInfo, FrameIndex]:
    if not container.streams.video:
        if container.streams.audio:
            raise MediaError(p, "has no video stream (audio only)")
        raise MediaError(p, "has no video stream")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    if ctx is None:
        raise MediaError(p, "unsupported video codec (FFmpeg cannot identify it)")
    codec_name = ctx.name
    if not _has_decoder(codec_name):
        raise MediaError(p, f"unsupported video codec {codec_name!r} (no decoder in this FFmpeg)")
    if stream.time_base is None:
        raise MediaError(p, "video stream has no time base")
    tb = Fraction(stream.time_base)

    expected = int(stream.frames or 0)  # what the container claims (0 = does not say)
    try:
        packets = _scan_packets(container, stream)
    except av.error.FFmpegError as e:
        raise MediaError(p, f"corrupt: demuxing failed ({e.strerror or e})") from None
    claimed = max(expected, len(packets))
    if expected and len(packets) < expected:
        decodable = _count_decodable(p)
        raise MediaError(
            p,
            f"truncated or corrupt: decoding stopped at frame {decodable} of {claimed}",
        )
    if not packets:
        raise MediaError(p, "video stream has no frames")

    first = _first_frame(p, container, stream)
    rotation = _rotation(first)
    ordinal = any(pk[0] is None for pk in packets)
    if verify or ordinal:
        decoded_count, error_at = _decode_all(p)
        if error_at is not None:
            raise MediaError(
                p, f"truncated or corrupt: decoding stopped at frame {error_at} of {claimed}"
            )
        if ordinal:
            # No timestamps (raw streams): decoding order is display order, one frame per
            # 1/fps; only the start of the file is a known seek point.
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
            tb = 1 / Fraction(rate)
            packets = [(i, i, i == 0, 1) for i in range(decoded_count)]

        elif decoded_count != len(packets):
            raise MediaError(
                p, f"corrupt: {len(packets)} video packets but {decoded_count} frames decode"
            )

    index = _build_index(packets)
    index.ordinal = ordinal
    n = len(index.pts)
    coded_w, coded_h = first.width, first.height
    width, height = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)

    last_dur = index.durations[-1] if index.durations and index.durations[-1] > 0 else 0
    if last_dur <= 0 and n > 1:
        last_dur = int(np.median(np.diff(index.pts)))
    span = int(index.pts[-1] - index.pts[0]) + last_dur
    duration = float(span * tb) if span > 0 else 0.0
    if duration <= 0 and container.duration:
        duration = container.duration / av.time_base

    avg = stream.average_rate
    avg_fps = float(avg) if avg else (n / duration if duration > 0 else 0.0)
    base = stream.base_rate or stream.guessed_rate
    base_fps = float(base) if base else avg_fps
    vfr = _is_vfr(index.pts)

    audio = tuple(
        AudioInfo(
            index=a.index,
            codec=a.codec_context.name if a.codec_context is not None else "unknown",
            sample_rate=int(a.sample_rate or 0),
            channels=int(a.channels or 0),
            duration=(
                round(float(a.duration * a.time_base), 6)
                if a.duration and a.time_base
                else (container.duration / av.time_base if container.duration else None)
            ),
        )
        for a in container.streams.audio
    )
    info = VideoInfo(
        path=str(p),
        width=width,
        height=height,
        rotation=rotation,
        avg_fps=round(avg_fps, 6),
        base_fps=round(base_fps, 6),
        frame_count=n,
        duration=round(duration, 6),
        pix_fmt=first.format.name,
        codec=codec_name,
        time_base=tb,
        audio=audio,
        container=_container_name(container, p),
        coded_width=coded_w,
        coded_height=coded_h,
        vfr=vfr,
        start_pts=int(index.pts[0]),
    )
    return info, index


_MAGIC = (b"ftyp", b"moov", b"mdat", b"free", b"wide")


def _looks_like_media(p: Path) -> bool:
    """True when the first bytes are an MP4/MOV, Matroska/WebM or RIFF header."""
    with p.open("rb") as fh:
        head = fh.read(12)
    return head[4:8] in _MAGIC or head[:4] in (b"\x1aE\xdf\xa3", b"RIFF")


def _container_name(container: av.container.InputContainer, p: Path) -> str:
    """The demuxer's name for this file ("mp4", not FFmpeg's "mov,mp4,m4a,...")."""
    names = container.format.name.split(",")
    ext = p.suffix.lower().lstrip(".")
    if ext in names:
        return ext
    return {"matroska": "mkv"}.get(names[0], names[0])


def _has_decoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "r")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def _scan_packets(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> list[tuple[int | None, int | None, bool, int]]:
    """(pts, dts, is_keyframe, duration) of every real video packet, in decode order."""
    out = []
    for pk in container.demux(stream):
        if pk.size == 0 or pk.is_discard:  # flush packets; edit-list discarded samples
            continue
        out.append((pk.pts, pk.dts, bool(pk.is_keyframe), int(pk.duration or 0)))
    return out


def _build_index(packets: list[tuple[int | None, int | None, bool, int]]) -> FrameIndex:
    """Display-order pts plus, per frame, where to seek so decoding reaches it exactly.

    Frame i must be decoded from the last keyframe (in decode order) at or before it whose pts
    is not later than frame i's: an open-GOP leading picture shows before its keyframe and
    needs the previous GOP.
    """
    n = len(packets)
    pts = np.array([pk[0] for pk in packets], dtype=np.int64)
    key = np.array([pk[2] for pk in packets], dtype=bool)
    key[0] = True  # decoding always can start at the first packet
    key_positions = np.flatnonzero(key)
    # decode position -> last keyframe decode position at or before it
    k_of = key_positions[np.searchsorted(key_positions, np.arange(n), side="right") - 1]
    kp = k_of.copy()
    for j in range(n):  # open-GOP leading frames: step back one keyframe
        while pts[kp[j]] > pts[j] and kp[j] > 0:
            prev = np.searchsorted(key_positions, kp[j]) - 1
            kp[j] = key_positions[max(prev, 0)]
    order = np.argsort(pts, kind="stable")
    display_of_decode = np.empty(n, dtype=np.int64)
    display_of_decode[order] = np.arange(n)
    durations = [packets[j][3] for j in order]
    return FrameIndex(
        pts=pts[order],
        key_pts=pts[kp][order],
        key_idx=display_of_decode[kp][order],
        durations=durations,
    )


def _first_frame(
    p: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> av.VideoFrame:
    """Decode the first frame: it carries the display matrix and proves the codec decodes.

    Reuses the scanning demuxer (a seek is ~1 ms, an open 10-50 ms); raw streams that cannot
    seek back get a fresh one. Slice threads only: frame threads would delay a single frame.
    """
    fresh: av.container.InputContainer | None = None
    try:
        try:
            container.seek(0, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container = fresh = av.open(str(p), metadata_errors="ignore")
            stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as e:
        raise MediaError(
            p, f"corrupt: the first frame cannot be decoded ({e.strerror or e})"
        ) from None
    finally:
        if fresh is not None:
            fresh.close()
    raise MediaError(p, "corrupt: no frame could be decoded")


def _rotation(frame: av.VideoFrame) -> int:
    """Display-matrix rotation as 0/90/180/270 counter-clockwise (ffprobe's sign)."""
    try:
        angle = frame.rotation
    except (AttributeError, ValueError):
        return 0
    if angle is None or (isinstance(angle, float) and math.isnan(angle)):
        return 0
    return round(angle / 90.0) % 4 * 90


def _count_decodable(p: Path) -> int:
    count, _ = _decode_all(p)
    return count


def _decode_all(p: Path) -> tuple[int, int | None]:
    """Decode every video frame: (frames decoded, how far decoding got if it failed, or None)."""
    decoded = 0
    error_at: int | None = None
    with av.open(str(p), metadata_errors="ignore") as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        try:
            for pk in c.demux(s):
                try:
                    decoded += len(pk.decode())
                except av.error.InvalidDataError:
                    if error_at is None:
                        error_at = decoded
        except av.error.FFmpegError:
            if error_at is None:
                error_at = decoded
    if error_at is not None:
        error_at = decoded  # report how far decoding got, including flushed frames
    return decoded, error_at


def _is_vfr(pts: np.ndarray) -> bool:
    if len(pts) < 3:
        return False
    d = np.diff(pts)
    return bool(d.max() - d.min() > max(1, 0.02 * np.median(d)))


def format_info(info: VideoInfo) -> str:
    """Human-readable multi-line summary for ``rotokit info``."""
    lines = [f"{info.path}"]
    size = f"{info.width}x{info.height}"
    if info.rotation:
        size += f" (stored {info.coded_width}x{info.coded_height}, rotated {info.rotation}°)"
    lines.append(f"  video     {info.codec}, {info.pix_fmt}, {size}")
    fps = f"{info.avg_fps:.3f} fps average"
    if info.vfr:
        fps += f", variable frame rate (base {info.base_fps:.3f})"
    lines.append(f"  frames    {info.frame_count}, {fps}")
    lines.append(
        f"  duration  {info.duration:.3f} s  (time base {info.time_base}, {info.container})"
    )
    if not info.audio:
        lines.append("  audio     none")
    for a in info.audio:
        dur = f", {a.duration:.3f} s" if a.duration is not None else ""
        lines.append(f"  audio     #{a.index} {a.codec}, {a.sample_rate} Hz, {a.channels} ch{dur}")
    return "\n".join(lines)
