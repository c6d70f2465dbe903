"""Encode RGB(A) frames to a video file, keep the source's timing and audio, never leave a
partial file.

Choices that a user would notice:

* **Timestamps.** Frames are written with the source pts in the source time base (shifted so
  the first written frame is at 0), so VFR stays VFR. Matroska/WebM store milliseconds, so
  there timestamps round to 1 ms.
* **Odd sizes.** 4:2:0 cannot hold an odd width or height. The output keeps the source's
  displayed size: odd-sized sources are encoded 4:4:4 (H.264 High 4:4:4, HEVC RExt, VP9
  profile 1). Only when 4:2:0 is forced (``pix_fmt=``) or required (VP9 with alpha) is the
  picture padded by repeating its last column/row, and ``padded_size`` records it.
* **Rotation.** Frames arrive upright (``FrameSource`` applied the display matrix), so no
  display matrix is written.
* **Audio.** Source audio packets are copied bit-identical when the output container accepts
  the codec (AAC in mp4/mov/mkv, Opus/Vorbis in webm/mkv); otherwise decoded and re-encoded
  (AAC for mp4/mov, Opus for webm/mkv) with the same timestamps. Data streams (tmcd) are
  dropped.
* **Atomicity.** Everything goes to a hidden temp file in the output's directory, renamed over
  the output by ``commit()`` only; ``abort()``, an exception or Ctrl-C in the ``with`` block
  delete it.
"""

from __future__ import annotations

import math
import os
import weakref
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self, cast

import av
import av.error
import numpy as np
from av.video.stream import VideoStream

from app.errors import MediaError
from app.faults import maybe_fault
from app.media.audio_mux import AudioMux
from app.media.codecs import CODECS, CONTAINERS, CodecSpec, check_codec_container
from app.media.colour import FAST_FORMATS, rgb_to_yuv_frame
from app.media.encoder_options import check_encoder_options
from app.media.probe import VideoInfo
from app.tempfiles import new_file_mode, sweep_stale, temp_file

# CODECS, CONTAINERS and check_codec_container live in app.media.codecs; they stay importable
# from here, where callers have always found them.
__all__ = ["CODECS", "CONTAINERS", "VideoWriter", "check_codec_container"]


class VideoWriter:
    """Write upright RGB (or RGBA) frames with their source timestamps, atomically.

    Parameters
    ----------
    path
        Output file; the extension picks the container (.mp4 .mov .mkv .webm).
    source
        ``probe()`` of the source: size (displayed), time base, frame rate.
    codec
        ``h264``, ``hevc``, ``vp9``, ``prores`` or ``ffv1``.
    crf, preset
        Quality/speed for x264/x265 (defaults 18/medium and 22/fast) and VP9 (crf 32).
    audio_from
        A media file whose audio streams go into the output (usually the source); None: no audio.
    alpha
        Write RGBA frames with transparency (prores, ffv1, vp9).
    pix_fmt
        Force an encoder pixel format (e.g. ``yuv420p`` for odd sizes, which then pads).
    gop
        Maximum keyframe interval in frames (encoder default: 250 for x264/x265). Short GOPs
        make files that seek fast in an editor, at some cost in size.

    Use as a context manager (commits on success, aborts on any exception), or call
    ``commit()``/``abort()``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        source: VideoInfo,
        codec: str = "h264",
        crf: int | None = None,
        preset: str | None = None,
        audio_from: str | os.PathLike[str] | None = None,
        alpha: bool = False,
        pix_fmt: str | None = None,
        gop: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.source = source
        self.codec = codec
        self.alpha = alpha
        spec = check_codec_container(self.path, codec)
        check_encoder_options(codec, crf, preset)
        self._format = CONTAINERS[self.path.suffix.lower()]
        if alpha and spec.alpha_pix_fmt is None:
            raise MediaError(
                self.path, f"codec {codec} cannot store alpha (use prores, ffv1 or vp9)"
            )
        if not self.path.parent.is_dir():
            raise MediaError(self.path, "output directory does not exist")
        if self.path.is_dir():
            raise MediaError(self.path, "is a directory, not an output file")
        w, h = source.width, source.height
        odd = bool(w % 2 or h % 2)
        default = (spec.alpha_pix_fmt if alpha else None) or (
            spec.odd_pix_fmt if odd else spec.pix_fmt
        )
        self.pix_fmt: str = pix_fmt or default
        fmt = av.VideoFormat(self.pix_fmt)
        pad_w = w + (w % 2 if fmt.chroma_width(3) < 3 else 0)  # chroma_width(3) < 3: subsampled
        pad_h = h + (h % 2 if fmt.chroma_height(3) < 3 else 0)
        self.size = (w, h)
        self.padded_size: tuple[int, int] | None = (
            (pad_w, pad_h) if (pad_w, pad_h) != (w, h) else None
        )
        self._is_rgb_fmt = self.pix_fmt.startswith(("gbr", "rgb", "bgr"))

        sweep_stale(self.path.parent)  # leftovers of killed writers (their pid is gone)
        try:
            self.temp_path = temp_file(self.path, f".part{self.path.suffix}")
        except OSError as e:
            raise MediaError(self.path, f"cannot write here: {e.strerror or e}") from None
        # Removes the temp file even if the writer is dropped without commit/abort.
        self._cleanup = weakref.finalize(self, self.temp_path.unlink, missing_ok=True)
        self._done = False
        self._first_pts: int | None = None
        self._last_pts: int | None = None
        self._prev_pts: int | None = None
        self.frames_written = 0
        self._durations: dict[int, int] = {}  # output pts -> gap to the next frame (VFR-true)
        self._vpending: list[av.Packet[VideoStream]] = []
        try:
            options = {"movflags": "+faststart"} if self._format in ("mp4", "mov") else {}
            self._out = av.open(str(self.temp_path), "w", format=self._format, options=options)
            self._vstream = self._add_video_stream(spec, crf, preset, pad_w, pad_h)
            if gop is not None:
                self._vstream.codec_context.gop_size = int(gop)
            self._audio = AudioMux(self._out, audio_from, self._format) if audio_from else None
        except BaseException:
            self._close_quietly()
            self._cleanup()
            raise

    # -- setup -------------------------------------------------------------------------------

    def _add_video_stream(
        self, spec: CodecSpec, crf: int | None, preset: str | None, w: int, h: int
    ) -> VideoStream:
        src = self.source
        rate = Fraction(src.avg_fps).limit_denominator(1001) if src.avg_fps > 0 else Fraction(30)
        opts: dict[str, str] = {}
        crf = spec.crf if crf is None else crf
        preset = spec.preset if preset is None else preset
        if spec.encoder in ("libx264", "libx265"):
            opts["crf"] = str(crf)
            opts["preset"] = preset or "medium"
            if spec.encoder == "libx265":
                opts["x265-params"] = "log-level=error"
        elif spec.encoder == "libvpx-vp9":
            # constant quality (b:v 0), row multithreading, speed 4 (good quality, ~realtime-ish)
            opts.update(crf=str(crf), b="0", deadline="good", **{"cpu-used": "4", "row-mt": "1"})
        elif spec.encoder == "prores_ks":
            opts["profile"] = "4"  # 4444 (4444 XQ is 5)
            opts["vendor"] = "apl0"
        elif spec.encoder == "ffv1":
            opts.update(level="3", slicecrc="1")  # version 3: multithreaded slices with CRCs
        stream = cast(
            "VideoStream",
            self._out.add_stream(spec.encoder, rate=rate, options=opts),
        )
        stream.width, stream.height = w, h
        stream.pix_fmt = self.pix_fmt
        stream.time_base = src.time_base
        cc = stream.codec_context
        cc.time_base = src.time_base
        cc.framerate = rate
        stream.thread_type = "AUTO"
        if not self._is_rgb_fmt:
            # We convert RGB with the BT.709 matrix, limited range; say so in the bitstream.
            cc.colorspace = 1
            cc.color_primaries = 1
            cc.color_trc = 1
            cc.color_range = 1
        if spec.encoder == "libx265" and self._format in ("mp4", "mov"):
            stream.codec_tag = "hvc1"  # Apple players need hvc1, FFmpeg's default is hev1
        return stream

    # -- writing -----------------------------------------------------------------------------

    def write(self, image: np.ndarray, pts: int) -> None:
        """Encode one upright ``H×W×3`` (or ``H×W×4`` with ``alpha``) uint8 frame at ``pts``.

        ``pts`` is in ``source.time_base`` and must increase from frame to frame.
        """
        self.write_frame(self.to_frame(image), pts)

    def to_frame(self, image: np.ndarray) -> av.VideoFrame:
        """Check and convert one image to the encoder's pixel format, ready for `write_frame`.

        Touches no writer state, so a pipeline may convert the next frame on another thread
        while this one is encoded.
        """
        w, h = self.size
        channels = 4 if self.alpha else 3
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(
                f"{self.path}: expected H×W×3/4 uint8, got {image.shape} {image.dtype}"
            )
        if image.shape[:2] != (h, w):
            raise ValueError(
                f"{self.path}: frame is {image.shape[1]}x{image.shape[0]}, writer is {w}x{h}"
            )
        if image.shape[2] == 4 and not self.alpha:
            raise ValueError(
                f"{self.path}: RGBA frame but the writer was opened without alpha=True"
            )
        if image.shape[2] == 3 and channels == 4:
            image = np.dstack([image, np.full((h, w), 255, np.uint8)])
        if self.padded_size is not None:
            pw, ph = self.padded_size
            image = np.pad(image, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
        image = np.ascontiguousarray(image)
        if channels == 3 and self.pix_fmt in FAST_FORMATS:
            return rgb_to_yuv_frame(image, self.pix_fmt)  # BT.709 limited, ≈ 2× swscale's speed
        frame = av.VideoFrame.from_ndarray(image, format="rgba" if channels == 4 else "rgb24")
        if self._is_rgb_fmt:
            return frame.reformat(format=self.pix_fmt)
        return frame.reformat(format=self.pix_fmt, dst_colorspace="ITU709", dst_color_range="MPEG")

    def write_frame(self, frame: av.VideoFrame, pts: int) -> None:
        """Encode a frame made by `to_frame` at ``pts`` (source time base, increasing)."""
        if self._done:
            raise RuntimeError(f"{self.path}: writer already committed or aborted")
        pts = int(pts)
        if self._last_pts is not None and pts <= self._last_pts:
            raise ValueError(f"{self.path}: pts {pts} does not increase (last {self._last_pts})")
        if self._first_pts is None:
            self._first_pts = pts
            if self._audio is not None:
                self._audio.start(float(pts * self.source.time_base))
        frame.pts = pts - self._first_pts
        frame.time_base = self.source.time_base
        if self._last_pts is not None:
            self._durations[self._last_pts - self._first_pts] = pts - self._last_pts
        self._mux_video(self._vstream.encode(frame))
        self._prev_pts, self._last_pts = self._last_pts, pts
        self.frames_written += 1
        maybe_fault(self.frames_written, "writer")
        if self._audio is not None:
            # Audio up to the current frame only: the video's end is known at commit, and the
            # muxer's interleaving queue absorbs the small lag.
            self._audio.mux_until(float(pts * self.source.time_base))

    def _mux_video(self, packets: list[av.Packet[VideoStream]], flush: bool = False) -> None:
        """Mux with each packet's true duration (the gap to the next pts), so the last frame of
        a VFR clip keeps its length instead of the encoder's nominal 1/fps.

        A packet waits (in decode order) until the next frame's pts is known. The muxer may use
        another time base (Matroska: 1 ms), so durations kept in the source time base are
        matched by rescaling them the way FFmpeg rescales pts.
        """
        self._vpending.extend(packets)
        src_tb = self.source.time_base
        while self._vpending:
            pk = self._vpending[0]
            if pk.pts is not None and pk.time_base is not None:
                pk_tb = Fraction(pk.time_base)
                for p, d in self._durations.items():
                    start = _rescale(p, src_tb, pk_tb)
                    if start == pk.pts:
                        pk.duration = max(1, _rescale(p + d, src_tb, pk_tb) - start)
                        del self._durations[p]
                        break
                else:
                    if not flush:
                        return  # its duration is known once the next frame arrives
            self._out.mux(self._vpending.pop(0))

    def commit(self) -> Path:
        """Flush the encoder, add the rest of the audio, close and rename into place."""
        if self._done:
            raise RuntimeError(f"{self.path}: writer already committed or aborted")
        if self.frames_written == 0:
            self.abort()
            raise MediaError(self.path, "no frames were written")
        try:
            assert self._last_pts is not None and self._first_pts is not None
            # The last frame lasts as long as the gap before it (one nominal frame if alone).
            step = (
                self._last_pts - self._prev_pts
                if self._prev_pts is not None
                else max(1, round(1 / (self.source.avg_fps or 30) / self.source.time_base))
            )
            self._durations[self._last_pts - self._first_pts] = step
            self._mux_video(self._vstream.encode(None), flush=True)
            if self._audio is not None:
                end = float((self._last_pts + step) * self.source.time_base)
                self._audio.finish(end)
            self._out.close()
            # mkstemp made it 0600; give it the permissions a normally created file gets
            os.chmod(self.temp_path, new_file_mode())
            os.replace(self.temp_path, self.path)
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._cleanup.detach()
        return self.path

    def abort(self) -> None:
        """Stop and delete the temp file; the output path is left untouched."""
        self._done = True
        self._close_quietly()
        self._cleanup()

    def _close_quietly(self) -> None:
        audio = getattr(self, "_audio", None)
        if audio is not None:
            audio.close()
        out = getattr(self, "_out", None)
        if out is not None:
            try:
                out.close()
            except (av.error.FFmpegError, OSError, ValueError):
                pass  # the file is being discarded anyway

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()


def _rescale(value: int, src: Fraction, dst: Fraction) -> int:
    """``value`` from time base ``src`` to ``dst``, rounded to nearest like av_rescale_q."""
    x = Fraction(value) * src / dst
    return math.floor(x + Fraction(1, 2))
