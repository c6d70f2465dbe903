"""probe(): the facts of every shared clip, and one clear MediaError per kind of bad input."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av
import pytest
from media_helpers import CLIPS, clip_path

from app.errors import MediaError
from app.media import VideoInfo, format_info, probe

# name: (width, height, rotation, frames, duration, avg fps, pix_fmt, audio streams)  — from
# ../shared/media/README.md (ffprobe -count_frames), display orientation.
FACTS = {
    "people_audio.mp4": (640, 360, 0, 96, 4.0, 24.0, "yuv420p", 1),
    "dog_ball.mp4": (640, 360, 0, 90, 3.003, 30000 / 1001, "yuv420p", 1),
    "bedroom_small.mp4": (480, 270, 0, 200, 6.667, 30.0, "yuv420p", 0),
    "vfr.mp4": (640, 360, 0, 82, 4.004, 20500 / 1001, "yuv420p", 1),
    "rotated.mp4": (360, 640, 90, 90, 3.003, 30000 / 1001, "yuv420p", 1),
    "odd_size.mp4": (641, 359, 0, 60, 2.002, 30000 / 1001, "yuv444p", 1),
    "beeps_audio.mp4": (640, 360, 0, 96, 4.0, 24.0, "yuv420p", 1),
}


@pytest.mark.parametrize("name", CLIPS)
def test_probe_reports_the_clip_facts(name: str) -> None:
    w, h, rot, frames, dur, fps, pix_fmt, n_audio = FACTS[name]
    info = probe(clip_path(name))
    assert (info.width, info.height, info.rotation) == (w, h, rot)
    assert info.frame_count == frames
    assert info.duration == pytest.approx(dur, abs=1e-3)
    assert info.avg_fps == pytest.approx(fps, rel=1e-4)
    assert (info.codec, info.pix_fmt) == ("h264", pix_fmt)
    assert len(info.audio) == n_audio
    for a in info.audio:
        assert (a.codec, a.sample_rate, a.channels) == ("aac", 48000, 2)
        assert a.duration == pytest.approx(dur, abs=0.01)


@pytest.mark.parametrize("name", ["vfr.mp4", "odd_size.mp4"])
def test_frame_count_matches_decoding(name: str) -> None:
    path = clip_path(name)
    with av.open(str(path)) as c:
        decoded = sum(1 for _ in c.decode(video=0))
    assert probe(path).frame_count == decoded


def test_vfr_clip_reports_both_rates() -> None:
    info = probe(clip_path("vfr.mp4"))
    assert info.vfr
    assert info.base_fps == pytest.approx(30000 / 1001, rel=1e-4)
    assert info.avg_fps == pytest.approx(20.48, abs=0.01)
    assert not probe(clip_path("people_audio.mp4")).vfr


def test_to_dict_is_json_ready_and_complete() -> None:
    info = probe(clip_path("rotated.mp4"))
    d = json.loads(json.dumps(info.to_dict()))
    assert d["width"] == 360 and d["height"] == 640 and d["rotation"] == 90
    assert d["time_base"] == "1/30000"
    assert Fraction(d["time_base"]) == info.time_base
    assert d["audio"][0]["codec"] == "aac"
    assert set(VideoInfo.__dataclass_fields__) <= set(d)


def test_format_info_shows_display_size_and_rotation() -> None:
    text = format_info(probe(clip_path("rotated.mp4")))
    assert "360x640" in text and "rotated 90" in text and "stored 640x360" in text
    assert "90" in text.splitlines()[2]  # frames line
    vfr = format_info(probe(clip_path("vfr.mp4")))
    assert "82" in vfr and "variable frame rate" in vfr


# -- bad inputs --------------------------------------------------------------------------------


def _audio_only(tmp_path: Path) -> Path:
    out = tmp_path / "beeps_audio_only.mp4"
    with av.open(str(clip_path("beeps_audio.mp4"))) as src, av.open(str(out), "w") as dst:
        a_in = src.streams.audio[0]
        a_out = dst.add_stream_from_template(a_in, opaque=True)
        for p in src.demux(a_in):
            if p.dts is None:
                continue
            p.stream = a_out
            dst.mux(p)
    return out


def _truncated(tmp_path: Path) -> Path:
    data = clip_path("people_audio.mp4").read_bytes()
    out = tmp_path / "truncated.mp4"
    out.write_bytes(data[: len(data) * 60 // 100])
    return out


def _unknown_codec(tmp_path: Path) -> Path:
    """An MKV whose video track's CodecID was overwritten with one FFmpeg does not know."""
    mkv = tmp_path / "remux.mkv"
    with av.open(str(clip_path("dog_ball.mp4"))) as src, av.open(str(mkv), "w") as dst:
        v_in = src.streams.video[0]
        v_out = dst.add_stream_from_template(v_in, opaque=True)
        for p in src.demux(v_in):
            if p.dts is not None:
                p.stream = v_out
                dst.mux(p)
    data = mkv.read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    out = tmp_path / "unknown_codec.mkv"
    out.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_XROTOKIT/NONE"))
    return out


BAD = {
    "empty": (lambda t: (t / "empty.mp4", (t / "empty.mp4").write_bytes(b""))[0], "empty file"),
    "random": (
        lambda t: (t / "random.mp4", (t / "random.mp4").write_bytes(os.urandom(64 * 1024)))[0],
        "not a media file",
    ),
    "truncated": (_truncated, "truncated or corrupt: decoding stopped at frame"),
    "audio_only": (_audio_only, "has no video stream"),
    "unknown_codec": (_unknown_codec, "unsupported video codec"),
    "missing": (lambda t: t / "nowhere.mp4", "no such file"),
    "directory": (lambda t: t, "is a directory"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_raises_media_error_naming_file_and_reason(kind: str, tmp_path: Path) -> None:
    make, reason = BAD[kind]
    path = make(tmp_path)
    with pytest.raises(MediaError) as ei:
        probe(path)
    msg = str(ei.value)
    assert str(path) in msg
    assert reason in msg
    assert "\n" not in msg
    assert ei.value.path == str(path)


def test_truncated_file_reports_how_far_decoding_got(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"decoding stopped at frame (\d+) of 96") as ei:
        probe(_truncated(tmp_path))
    stopped = int(ei.value.reason.split("frame ")[1].split(" ")[0])
    assert 30 < stopped < 96  # 60 % of the bytes holds roughly half the frames


def test_header_only_mp4_is_reported_truncated_not_garbage(tmp_path: Path) -> None:
    data = clip_path("people_audio.mp4").read_bytes()
    path = tmp_path / "header_only.mp4"
    path.write_bytes(data[:4000])
    with pytest.raises(MediaError, match="truncated or corrupt"):
        probe(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.mp4"
    path.write_bytes(clip_path("dog_ball.mp4").read_bytes())
    path.chmod(0)
    with pytest.raises(MediaError, match="unreadable"):
        probe(path)
