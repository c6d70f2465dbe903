"""VideoWriter: timing kept (VFR too), audio copied bit-identical or transcoded in sync,
upright and odd-sized output, and never a partial file at the output path."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from media_helpers import audio_packets, beep_onsets, clip_path, video_times

from app.errors import MediaError
from app.media import FrameSource, VideoWriter, probe


def transcode(src: Path, out: Path, stop: int | None = None, **kwargs: object) -> VideoWriter:
    with FrameSource(src) as fs, VideoWriter(out, source=fs.info, audio_from=src, **kwargs) as w:
        for f in fs.iter_frames(stop=stop):
            w.write(f.rgb, f.pts)
    return w


def thumbnail_transcode(src: Path, out: Path, codec: str) -> Path:
    """Re-encode ``src`` at 160x90 with its audio: the audio path at a fraction of the cost."""
    with FrameSource(src) as fs:
        info = dataclasses.replace(fs.info, width=160, height=90)
        with VideoWriter(out, source=info, codec=codec, audio_from=src) as w:
            for f in fs.iter_frames():
                w.write(cv2.resize(f.rgb, (160, 90), interpolation=cv2.INTER_AREA), f.pts)
    return out


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    "name, out_name, codec, tick",
    [
        ("vfr.mp4", "vfr.mp4", "h264", 0.0),
        ("dog_ball.mp4", "dog.mp4", "h264", 0.0),
        ("people_audio.mp4", "people.mp4", "hevc", 0.0),
        ("vfr.mp4", "vfr.webm", "vp9", 0.0005),  # Matroska/WebM store 1 ms ticks
        ("vfr.mp4", "vfr.mkv", "ffv1", 0.0005),
    ],
)
def test_transcode_keeps_frames_timestamps_and_duration(
    name: str, out_name: str, codec: str, tick: float, tmp_path: Path
) -> None:
    src = clip_path(name)
    if codec == "h264":
        out = transcode(src, tmp_path / out_name, codec=codec).path
    else:  # timing does not depend on the picture size; the slower encoders get thumbnails
        out = thumbnail_transcode(src, tmp_path / out_name, codec)
    a, b = probe(src), probe(out)
    assert b.frame_count == a.frame_count
    assert abs(b.duration - a.duration) < 1 / a.avg_fps
    src_t, out_t = video_times(src), video_times(out)
    assert len(out_t) == len(src_t)
    assert np.max(np.abs(np.array(out_t) - np.array(src_t))) <= tick + 1e-9
    if name == "vfr.mp4":
        assert b.vfr and max(np.diff(out_t)) == pytest.approx(0.367, abs=0.001)


@pytest.mark.parametrize(
    "name, ext", [("dog_ball.mp4", ".mp4"), ("vfr.mp4", ".mkv"), ("people_audio.mp4", ".mov")]
)
def test_audio_packets_are_copied_bit_identical(name: str, ext: str, tmp_path: Path) -> None:
    src = clip_path(name)
    out = transcode(src, tmp_path / f"out{ext}", stop=None, codec="h264").path
    copied = audio_packets(out)
    assert copied == audio_packets(src)
    assert len(copied) > 100


def test_data_streams_are_dropped(tmp_path: Path) -> None:
    out = transcode(clip_path("dog_ball.mp4"), tmp_path / "dog.mp4", stop=10).path
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]


def test_transcoded_audio_keeps_beeps_in_place(tmp_path: Path) -> None:
    src = clip_path("beeps_audio.mp4")
    expected = [0.25 + 0.5 * i for i in range(8)]
    assert beep_onsets(src) == pytest.approx(expected, abs=0.002)
    webm = thumbnail_transcode(src, tmp_path / "beeps.webm", "vp9")  # AAC -> Opus
    with av.open(str(webm)) as c:
        assert c.streams.audio[0].codec_context.name == "opus"
    assert beep_onsets(webm) == pytest.approx(expected, abs=0.005)
    mp4 = thumbnail_transcode(webm, tmp_path / "beeps.mp4", "h264")  # Opus -> AAC
    with av.open(str(mp4)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
    assert beep_onsets(mp4) == pytest.approx(expected, abs=0.005)


def test_rotated_input_renders_upright(tmp_path: Path) -> None:
    src = clip_path("rotated.mp4")
    out = transcode(src, tmp_path / "upright.mp4").path
    info = probe(out)
    assert (info.width, info.height, info.rotation) == (360, 640, 0)
    with FrameSource(src) as a, FrameSource(out) as b:
        diff = np.abs(a.frame(30).astype(int) - b.frame(30).astype(int)).mean()
    assert diff < 4.0  # same picture, same orientation (a 90° error differs by tens)


def test_odd_size_keeps_its_size(tmp_path: Path) -> None:
    out = transcode(clip_path("odd_size.mp4"), tmp_path / "odd.mp4")
    assert out.padded_size is None
    info = probe(out.path)
    assert (info.width, info.height, info.pix_fmt) == (641, 359, "yuv444p")
    with FrameSource(out.path) as fs:
        assert fs.frame(0).shape == (359, 641, 3)


def test_forced_420_pads_odd_size_and_says_so(tmp_path: Path) -> None:
    out = transcode(clip_path("odd_size.mp4"), tmp_path / "odd420.mp4", stop=5, pix_fmt="yuv420p")
    assert out.padded_size == (642, 360)
    info = probe(out.path)
    assert (info.width, info.height, info.pix_fmt) == (642, 360, "yuv420p")


def test_ffv1_is_lossless(tmp_path: Path) -> None:
    src = clip_path("odd_size.mp4")
    out = transcode(src, tmp_path / "lossless.mkv", stop=8, codec="ffv1").path
    with FrameSource(src) as a, FrameSource(out) as b:
        assert len(b) == 8
        for k in range(8):
            assert np.array_equal(a.frame(k), b.frame(k))


def test_prores_4444_keeps_alpha(tmp_path: Path) -> None:
    src = clip_path("people_audio.mp4")
    info = probe(src)
    alpha = np.tile(np.linspace(0, 255, info.width).astype(np.uint8), (info.height, 1))
    out = tmp_path / "cutout.mov"
    with FrameSource(src) as fs, VideoWriter(out, source=info, codec="prores", alpha=True) as w:
        for f in fs.iter_frames(stop=3):
            w.write(np.dstack([f.rgb, alpha]), f.pts)
    assert probe(out).pix_fmt.startswith("yuva444p")
    with av.open(str(out)) as c:
        rgba = next(c.decode(video=0)).to_ndarray(format="rgba")
    assert np.abs(rgba[..., 3].astype(int) - alpha).max() <= 2


@pytest.mark.parametrize(
    "out_name, codec, reason",
    [
        ("x.mp4", "prores", "codec prores cannot be written to .mp4 (use .mov)"),
        ("x.mp4", "vp9", "cannot be written to .mp4"),
        ("x.webm", "h264", "cannot be written to .webm"),
        ("x.avi", "h264", "unknown output extension"),
        ("x.mp4", "mpeg2", "unknown codec"),
    ],
)
def test_codec_container_mismatch_is_a_clear_error(
    out_name: str, codec: str, reason: str, tmp_path: Path
) -> None:
    info = probe(clip_path("dog_ball.mp4"))
    with pytest.raises(MediaError, match=re.escape(reason)):
        VideoWriter(tmp_path / out_name, source=info, codec=codec)
    assert _leftovers(tmp_path) == []


def test_alpha_needs_a_codec_that_stores_it(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot store alpha"):
        VideoWriter(tmp_path / "a.mp4", source=probe(clip_path("dog_ball.mp4")), alpha=True)


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_failed_write_leaves_no_file(error: type[BaseException], tmp_path: Path) -> None:
    src = clip_path("dog_ball.mp4")
    out = tmp_path / "out.mp4"
    with (
        pytest.raises(error),
        FrameSource(src) as fs,
        VideoWriter(out, source=fs.info, audio_from=src) as w,
    ):
        for f in fs.iter_frames():
            w.write(f.rgb, f.pts)
            if f.index == 40:
                assert w.temp_path.exists() and w.temp_path.stat().st_size > 0
                raise error()
    assert _leftovers(tmp_path) == []


def test_failure_keeps_an_existing_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "render.mp4"
    out.write_bytes(b"previous render")
    info = probe(clip_path("dog_ball.mp4"))
    w = VideoWriter(out, source=info)
    w.write(np.zeros((360, 640, 3), np.uint8), 0)
    w.abort()
    assert out.read_bytes() == b"previous render"
    assert _leftovers(tmp_path) == ["render.mp4"]


def test_commit_without_frames_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    w = VideoWriter(tmp_path / "empty.mp4", source=probe(clip_path("dog_ball.mp4")))
    with pytest.raises(MediaError, match="no frames"):
        w.commit()
    assert _leftovers(tmp_path) == []


def test_bad_frames_are_refused(tmp_path: Path) -> None:
    info = probe(clip_path("dog_ball.mp4"))
    with VideoWriter(tmp_path / "x.mp4", source=info) as w:
        with pytest.raises(ValueError, match="640x360"):
            w.write(np.zeros((100, 100, 3), np.uint8), 0)
        w.write(np.zeros((360, 640, 3), np.uint8), 1001)
        with pytest.raises(ValueError, match="does not increase"):
            w.write(np.zeros((360, 640, 3), np.uint8), 1001)
    assert probe(tmp_path / "x.mp4").frame_count == 1


def test_output_path_problems_are_clear(tmp_path: Path) -> None:
    info = probe(clip_path("dog_ball.mp4"))
    (tmp_path / "taken.mp4").mkdir()
    with pytest.raises(MediaError, match="is a directory"):
        VideoWriter(tmp_path / "taken.mp4", source=info)
    with pytest.raises(MediaError, match="output directory does not exist"):
        VideoWriter(tmp_path / "missing" / "out.mp4", source=info)
    assert _leftovers(tmp_path) == ["taken.mp4"]


@pytest.mark.parametrize("ext, codec", [(".mp4", "h264"), (".webm", "vp9")])
def test_partial_render_starts_at_zero_with_audio_in_sync(
    ext: str, codec: str, tmp_path: Path
) -> None:
    """Frames 30-71 of beeps_audio (1.25 s to 3.0 s): video and audio both start at 0, the
    beeps that were at 1.25, 1.75, 2.25, 2.75 s are now at 0, 0.5, 1.0, 1.5 s, and audio
    stops with the video (the 3.25 s beep is gone)."""
    src = clip_path("beeps_audio.mp4")
    out = tmp_path / f"part{ext}"
    with FrameSource(src) as fs:
        info = dataclasses.replace(fs.info, width=160, height=90)
        with VideoWriter(out, source=info, codec=codec, audio_from=src) as w:
            for f in fs.iter_frames(30, 72):
                w.write(cv2.resize(f.rgb, (160, 90), interpolation=cv2.INTER_AREA), f.pts)
    result = probe(out)
    assert result.frame_count == 42 and result.start_pts == 0
    assert result.duration == pytest.approx(1.75, abs=1 / 24)
    assert result.audio[0].duration == pytest.approx(1.75, abs=0.03)  # whole packets
    assert beep_onsets(out) == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=0.005)


@pytest.mark.parametrize(("size", "pix_fmt"), [((320, 180), "yuv420p"), ((321, 181), "yuv444p")])
def test_colours_survive_the_round_trip_and_are_tagged_bt709(
    tmp_path: Path, size: tuple[int, int], pix_fmt: str
) -> None:
    """Saturated patches come back within a few levels: a wrong matrix (BT.601 for 709) or
    range would move them by 10–40 levels."""
    colours = [
        (255, 0, 0),
        (0, 255, 0),
        (0, 0, 255),
        (255, 255, 0),
        (128, 128, 128),
        (224, 172, 105),
        (20, 20, 20),
        (250, 250, 250),
    ]
    w, h = size
    image = np.zeros((h, w, 3), np.uint8)
    step = w // len(colours)
    for i, colour in enumerate(colours):
        image[:, i * step : (i + 1) * step] = colour
    info = dataclasses.replace(probe(clip_path("dog_ball.mp4")), width=w, height=h)
    out = tmp_path / "patches.mp4"
    with VideoWriter(out, source=info, crf=0) as writer:
        for k in range(3):
            writer.write(image, k * 1001)
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0))
        assert (frame.format.name, frame.colorspace, frame.color_range) == (pix_fmt, 1, 1)
    with FrameSource(out) as fs:
        back = fs.frame(1).astype(int)
    for i, colour in enumerate(colours):
        centre = back[h // 2 - 4 : h // 2 + 4, i * step + step // 2 - 4 : i * step + step // 2 + 4]
        assert np.abs(centre - colour).max() <= 3, (colour, centre.mean(axis=(0, 1)))
