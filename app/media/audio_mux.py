"""Carry a source's audio into a video being written: packets copied bit-identical when the
output container takes the codec, else decoded and re-encoded with the same timestamps.

Why apart from the video encoder: audio follows its own rules (pre-roll packets, priming
samples, cutting what lands before the first video frame) and is driven by `VideoWriter` only
through ``start``/``mux_until``/``finish``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import av
import av.error
from av.audio.stream import AudioStream

from app.errors import MediaError

__all__ = ["AUDIO_COPY", "AUDIO_TRANSCODE", "AudioMux"]

# Audio codecs each muxer takes as-is (packets copied), and what to transcode to otherwise.
AUDIO_COPY: dict[str, frozenset[str]] = {
    # Opus/FLAC in MP4 exist but many players (QuickTime, older TVs) refuse them: transcode.
    "mp4": frozenset({"aac", "mp3", "alac", "ac3", "eac3"}),
    "mov": frozenset({"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le", "pcm_s24le"}),
    "matroska": frozenset({"aac", "opus", "vorbis", "flac", "mp3", "ac3", "eac3", "alac"})
    | frozenset({"pcm_s16le", "pcm_s24le", "pcm_f32le"}),
    "webm": frozenset({"opus", "vorbis"}),
}
AUDIO_TRANSCODE: dict[str, str] = {
    "mp4": "aac",
    "mov": "aac",
    "matroska": "libopus",
    "webm": "libopus",
}


def _drop_leading_samples(fr: av.AudioFrame, n: int) -> av.AudioFrame:
    """A copy of audio frame ``fr`` without its first ``n`` samples, starting at pts 0."""
    samples = fr.to_ndarray()  # planar: channels × samples; packed: 1 × (samples·channels)
    skip = n if fr.format.is_planar else n * len(fr.layout.channels)
    kept = samples[:, skip:].copy()  # a C-contiguous copy, as from_ndarray needs
    out = av.AudioFrame.from_ndarray(kept, format=fr.format.name, layout=fr.layout.name)
    out.sample_rate = fr.sample_rate
    out.time_base = fr.time_base
    out.pts = 0
    return out


@dataclass(frozen=True)
class _Route:
    """Where one source audio stream goes: copied packets, or decoded and re-encoded."""

    source: AudioStream
    out: AudioStream
    copy: bool


class AudioMux:
    """Moves the audio of ``audio_from`` into the output, interleaved with the video.

    Packets are copied when the muxer takes the codec, else decoded and re-encoded with their
    timestamps. Only audio overlapping the written video span is kept, shifted by the same
    offset as the video (so a full-clip render copies every packet).
    """

    def __init__(
        self,
        out: av.container.OutputContainer,
        src: str | os.PathLike[str],
        fmt: str,
    ) -> None:
        self.src_path = str(src)
        try:
            self._in = av.open(self.src_path, metadata_errors="ignore")
        except av.error.FFmpegError as e:
            raise MediaError(self.src_path, f"cannot read audio: {e.strerror or e}") from None
        self._out = out
        self._routes: dict[int, _Route] = {}
        for s in self._in.streams.audio:
            name = s.codec_context.name if s.codec_context is not None else ""
            if name in AUDIO_COPY[fmt]:
                ostream = out.add_stream_from_template(s, opaque=True)
                self._routes[s.index] = _Route(s, ostream, copy=True)
            else:
                enc = AUDIO_TRANSCODE[fmt]
                rates = av.codec.Codec(enc, "w").audio_rates
                rate = s.sample_rate if not rates or s.sample_rate in rates else 48000
                ostream = cast("AudioStream", out.add_stream(enc, rate=rate))
                if s.layout is not None and s.channels <= 2:
                    ostream.layout = s.layout.name
                else:
                    ostream.layout = "stereo"
                if enc == "aac":
                    ostream.bit_rate = 192_000
                elif enc == "libopus":
                    ostream.bit_rate = 160_000
                s.codec_context.thread_type = "AUTO"
                self._routes[s.index] = _Route(s, ostream, copy=False)
        self._packets: Iterator[av.Packet[AudioStream]] | None = None
        self._pending: av.Packet[AudioStream] | None = None
        self._preroll: av.Packet[AudioStream] | None = None
        self._offset = 0.0

    def start(self, offset_s: float) -> None:
        """Video starts at ``offset_s`` of the source clock: audio is shifted by the same."""
        self._offset = offset_s
        if not self._routes:
            return
        if offset_s > 1.0:  # partial render: start near it (1 s early, for the pre-roll packet)
            self._in.seek(int((offset_s - 1.0) * av.time_base), backward=True)
        self._packets = self._in.demux(tuple(r.source for r in self._routes.values()))

    def mux_until(self, until_s: float) -> None:
        """Mux audio packets starting before ``until_s`` (source clock)."""
        if self._packets is None:
            return
        while True:
            pk = self._pending if self._pending is not None else next(self._packets, None)
            self._pending = None
            if pk is None:
                self._packets = None
                return
            if pk.dts is None or pk.size == 0:  # flush packets / unmuxable
                continue
            start = (
                float(pk.pts * pk.time_base) if pk.pts is not None else float(pk.dts * pk.time_base)
            )
            if start >= until_s:
                self._pending = pk
                return
            end = start + float((pk.duration or 0) * pk.time_base)
            if end <= self._offset and pk.duration:
                # Wholly before the first video frame. The last such packet is kept as
                # pre-roll: AAC's priming packet (pts -1024, cut by the edit list) and the
                # overlap a decoder needs for the first audible packet.
                self._preroll = pk
                continue
            if self._preroll is not None:
                pre, self._preroll = self._preroll, None
                if pre.stream.index == pk.stream.index:
                    self._route(pre)
            self._route(pk)

    def _route(self, pk: av.Packet[AudioStream]) -> None:
        route = self._routes[pk.stream.index]
        shift = round(self._offset / pk.time_base)
        if route.copy:
            assert pk.dts is not None  # mux_until drops packets without dts
            if pk.pts is not None:
                pk.pts -= shift
            pk.dts -= shift
            pk.stream = route.out
            self._out.mux(pk)
            return
        try:
            frames = pk.decode()
        except av.error.InvalidDataError:
            return  # a corrupt audio packet is dropped, as players do
        for fr in frames:
            self._encode(route.out, fr, shift)

    def _encode(self, ostream: AudioStream, fr: av.AudioFrame, shift: int) -> None:
        """Encode a decoded frame moved by ``shift`` (in its time base). Samples that would
        land before 0 are cut: encoders restart their clock at the first frame, so a frame
        starting early would drag all later audio late by that much."""
        if fr.pts is not None and fr.time_base is not None:
            fr.pts -= shift
            if fr.pts < 0:
                cut = round(-fr.pts * fr.time_base * fr.sample_rate)
                if cut >= fr.samples:
                    return
                fr = _drop_leading_samples(fr, cut)
        self._out.mux(ostream.encode(fr))

    def finish(self, end_s: float) -> None:
        """Mux the remaining audio that starts before the video's end, flush encoders."""
        self.mux_until(end_s)
        shift_s = self._offset
        for route in self._routes.values():
            if route.copy:
                continue
            for fr in route.source.decode(None):  # frames still inside the decoder
                if fr.pts is not None and fr.time_base is not None:
                    if fr.pts * fr.time_base >= end_s:
                        continue
                    self._encode(route.out, fr, round(shift_s / fr.time_base))
                else:
                    self._out.mux(route.out.encode(fr))
            self._out.mux(route.out.encode(None))
        self.close()

    def close(self) -> None:
        self._packets = None
        self._pending = None
        try:
            self._in.close()
        except (av.error.FFmpegError, OSError):
            pass
