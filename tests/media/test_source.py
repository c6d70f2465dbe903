"""FrameSource: exact frame k by random access, display orientation, timing, cache bounds."""

from __future__ import annotations

import random
from pathlib import Path

import av
import numpy as np
import pytest
from media_helpers import CLIPS, clip_path

from app.errors import MediaError
from app.media import FrameSource, VideoWriter, probe


def _assert_random_access_matches_sequential(
    path: Path, n_samples: int = 50, seed: int = 0
) -> None:
    with FrameSource(path) as fs:
        sequential = [f.rgb for f in fs.iter_frames()]
        assert len(sequential) == len(fs) == probe(path).frame_count
        ks = random.Random(seed).sample(range(len(fs)), min(n_samples, len(fs)))
        for k in ks:
            assert np.array_equal(fs.frame(k), sequential[k]), f"{path.name}: frame {k} differs"


@pytest.mark.parametrize("name", CLIPS)
def test_random_access_equals_sequential_decode(name: str) -> None:
    _assert_random_access_matches_sequential(clip_path(name))


@pytest.fixture(scope="module")
def short_gop_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The shared clips have a single keyframe each, so seeking is trivial there. These have a
    keyframe every 10-12 frames, B-frames, and (x265) open GOPs whose leading pictures show
    before their keyframe — the cases where a wrong seek returns the wrong frame."""
    folder = tmp_path_factory.mktemp("gop")
    src = clip_path("vfr.mp4")
    out = {}
    # x265 ultrafast keeps B-frames and open GOPs; VP9 is the slow encoder here: 40 frames
    for name, codec, gop, preset, stop in [
        ("h264.mp4", "h264", 10, None, None),
        ("hevc_open_gop.mkv", "hevc", 12, "ultrafast", None),
        ("vp9.webm", "vp9", 10, None, 40),
    ]:
        path = folder / name
        with (
            FrameSource(src) as fs,
            VideoWriter(path, source=fs.info, codec=codec, gop=gop, preset=preset) as w,
        ):
            for f in fs.iter_frames(stop=stop):
                w.write(f.rgb, f.pts)
        out[name] = path
    return out


@pytest.mark.parametrize("name", ["h264.mp4", "hevc_open_gop.mkv", "vp9.webm"])
def test_exact_seek_across_many_keyframes(name: str, short_gop_clips: dict[str, Path]) -> None:
    path = short_gop_clips[name]
    _assert_random_access_matches_sequential(path, seed=1)
    with FrameSource(path, cache_bytes=0) as fs:  # backwards: a seek for every frame
        sequential = [f.rgb for f in fs.iter_frames()]
        for k in range(len(fs) - 1, -1, -3):
            assert np.array_equal(fs.frame(k), sequential[k]), f"{name}: frame {k} differs"


def test_rotated_clip_is_upright_portrait() -> None:
    info = probe(clip_path("rotated.mp4"))
    with FrameSource(clip_path("rotated.mp4")) as fs:
        rgb = fs.frame(45)
    assert rgb.shape == (info.height, info.width, 3) == (640, 360, 3)
    # README: shown correctly the blue mug is near the top and the kettle near the bottom.
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    blue = (b > 120) & (b > r + 50) & (b > g + 20)
    top, bottom = blue[:320].sum(), blue[320:].sum()
    assert top > 5 * max(bottom, 1), (top, bottom)


def test_odd_size_frames_keep_their_size() -> None:
    with FrameSource(clip_path("odd_size.mp4")) as fs:
        rgb = fs.frame(len(fs) - 1)
    assert rgb.shape == (359, 641, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous


def test_vfr_times_come_from_timestamps() -> None:
    with FrameSource(clip_path("vfr.mp4")) as fs:
        times = np.array([fs.time(i) for i in range(len(fs))])
        gaps = np.diff(times)
        assert len(fs) == 82
        assert gaps.max() == pytest.approx(0.367, abs=0.001)  # the 10-frame hole
        assert times[np.argmax(gaps)] == pytest.approx(1.635, abs=0.001)
        assert {round(g, 4) for g in gaps} >= {0.0334, 0.0667, 0.1001}
        frames = list(fs.iter_frames())
        assert [f.time for f in frames] == pytest.approx(times.tolist())
        assert [f.pts for f in frames] == [fs.pts(i) for i in range(len(fs))]
        assert fs.index_at(1.9) == int(np.argmax(gaps))  # still showing the frame before the hole


def test_ten_bit_source_becomes_8bit_rgb(tmp_path: Path) -> None:
    src = clip_path("people_audio.mp4")
    path = tmp_path / "ten_bit.mkv"
    with (
        FrameSource(src) as fs,
        VideoWriter(path, source=fs.info, codec="hevc", pix_fmt="yuv420p10le", crf=12) as w,
    ):
        originals = []
        for f in fs.iter_frames(stop=12):
            w.write(f.rgb, f.pts)
            originals.append(f.rgb)
    assert probe(path).pix_fmt == "yuv420p10le"
    with FrameSource(path) as fs:
        rgb = fs.frame(11)
    assert rgb.dtype == np.uint8 and rgb.shape == (360, 640, 3)
    err = np.abs(rgb.astype(int) - originals[11].astype(int)).mean()
    assert err < 3.0  # same picture (a bit-depth or colour-matrix bug is off by tens)


def test_cache_is_byte_bounded_lru() -> None:
    frame_bytes = 360 * 640 * 3
    with FrameSource(clip_path("dog_ball.mp4"), cache_bytes=3 * frame_bytes + 10) as fs:
        for k in (5, 6, 7):
            fs.frame(k)
        fs.frame(5)  # touch 5: 6 is now the least recently used
        fs.frame(8)
        assert fs.cached_indices() == [7, 5, 8]
        assert fs.cache_used == 3 * frame_bytes <= fs.cache_bytes
        assert fs.frame(7) is fs.frame(7)  # served from the cache


def test_iter_frames_leaves_the_cache_alone() -> None:
    with FrameSource(clip_path("bedroom_small.mp4"), cache_bytes=50 * 480 * 270 * 3) as fs:
        fs.frame(3)
        fs.frame(150)
        frames = list(fs.iter_frames(100, 120))
        assert [f.index for f in frames] == list(range(100, 120))
        assert fs.cached_indices() == [3, 150]


def test_frames_are_read_only_and_indices_checked() -> None:
    with FrameSource(clip_path("dog_ball.mp4")) as fs:
        rgb = fs.frame(0)
        with pytest.raises(ValueError):
            rgb[0, 0, 0] = 1
        with pytest.raises(IndexError):
            fs.frame(len(fs))
        with pytest.raises(IndexError):
            fs.frame(-1)


def test_bad_file_raises_media_error(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(b"\0" * 1000)
    with pytest.raises(MediaError, match="x.mp4"):
        FrameSource(path)


def _remux(src: Path, out: Path, fmt: str, with_audio: bool) -> Path:
    with av.open(str(src)) as i, av.open(str(out), "w", format=fmt) as o:
        streams = [i.streams.video[0]] + ([i.streams.audio[0]] if with_audio else [])
        to = {s.index: o.add_stream_from_template(s, opaque=True) for s in streams}
        for p in i.demux(*streams):
            if p.dts is None:
                continue
            p.stream = to[p.stream.index]
            o.mux(p)
    return out


def test_raw_h264_without_timestamps_is_read_by_decode_order(tmp_path: Path) -> None:
    src = clip_path("people_audio.mp4")
    raw = _remux(src, tmp_path / "camera.h264", "h264", with_audio=False)
    info = probe(raw)
    assert info.frame_count == 96 and (info.width, info.height) == (640, 360)
    with FrameSource(src) as a, FrameSource(raw) as b:
        for k in random.Random(2).sample(range(96), 12):
            assert np.array_equal(a.frame(k), b.frame(k)), k
        assert [f.index for f in b.iter_frames(90)] == list(range(90, 96))


def test_mpegts_start_offset_is_kept_out_of_frame_times(tmp_path: Path) -> None:
    ts = _remux(clip_path("people_audio.mp4"), tmp_path / "broadcast.ts", "mpegts", with_audio=True)
    info = probe(ts)
    assert info.start_pts > 0 and info.frame_count == 96
    with FrameSource(ts) as fs:
        assert fs.time(0) == 0.0 and fs.time(95) == pytest.approx(95 / 24)
        _assert_random_access_matches_sequential(ts, n_samples=15)
        out = tmp_path / "from_ts.mp4"
        with VideoWriter(out, source=fs.info, audio_from=ts) as w:
            for f in fs.iter_frames():
                w.write(f.rgb, f.pts)
    o = probe(out)
    assert o.start_pts == 0 and o.frame_count == 96
    assert o.duration == pytest.approx(4.0, abs=1 / 24)
