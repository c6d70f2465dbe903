"""Issue 11 item 9: one FrameRange for every range; encoder options checked before any work."""

from __future__ import annotations

import json

import av
import pytest

from app.cli import main
from app.frame_range import FrameRange, RangeError
from app.project import masks_path_for

N = 60  # frames in odd_size.mp4


@pytest.mark.parametrize(
    "text, expected",
    [("0:10", (0, 10)), ("10:", (10, N)), (":5", (0, 5)), (":", (0, N)), (" 3:7 ", (3, 7))],
)
def test_parse_and_resolve(text, expected):
    assert FrameRange.parse(text).resolve(N) == expected


@pytest.mark.parametrize("text", ["5", "a:b", "-1:4", "7:7", "9:3", "1.5:3"])
def test_malformed_ranges_are_refused_with_the_text(text):
    with pytest.raises(RangeError, match="--range"):
        FrameRange.parse(text)


def test_the_project_file_and_code_use_the_same_rules():
    assert FrameRange.from_json([10, None]).resolve(N) == (10, N)
    assert FrameRange.coerce((4, -1)).resolve(N) == (4, N)
    with pytest.raises(RangeError):
        FrameRange.from_json([5, 2])
    for rng in (
        FrameRange.parse("0:99999"),
        FrameRange.from_json([0, 99999]),
        FrameRange.coerce((0, 99999)),
    ):
        with pytest.raises(RangeError, match=f"past the clip's {N} frames"):
            rng.resolve(N)


@pytest.mark.parametrize("command", ["render", "export", "track"])
def test_range_past_the_clip_is_refused_on_the_cli(tracked, command, tmp_path, capsys):
    project = tracked()
    argv = {
        "render": ["render", str(project), "-o", str(tmp_path / "o.mp4")],
        "export": ["export", str(project), "--format", "png", "-o", str(tmp_path / "o")],
        "track": ["track", str(project)],
    }[command]
    assert (
        main([*argv, "--range", "0:99999", "--model", "test-random-micro", "--offline", "-q"]) == 1
    )
    err = capsys.readouterr().err
    assert f"past the clip's {N} frames" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "o").exists()


def test_range_past_the_clip_is_refused_in_the_project_file_the_same_way(tracked, tmp_path, capsys):
    project = tracked(range=[0, 99999])
    assert main(["render", str(project), "-o", str(tmp_path / "o.mp4"), "-q"]) == 1
    assert f"past the clip's {N} frames" in capsys.readouterr().err


def test_open_ended_range_exports_to_the_last_frame(tracked, tmp_path):
    project = tracked()
    out = tmp_path / "ds"
    assert (
        main(
            [
                "export",
                str(project),
                "--format",
                "png",
                "-o",
                str(out),
                "--range",
                "50:",
                "--no-images",
                "-q",
                "--offline",
            ]
        )
        == 0
    )
    assert len(list(out.rglob("*.png"))) == N - 50


def test_open_ended_range_in_the_project_file(tracked, tmp_path):
    project = tracked(range=[55, None])
    out = tmp_path / "ds"
    assert (
        main(
            [
                "export",
                str(project),
                "--format",
                "png",
                "-o",
                str(out),
                "--no-images",
                "-q",
                "--offline",
            ]
        )
        == 0
    )
    assert len(list(out.rglob("*.png"))) == N - 55
    # and the range survives a load/save
    from app.project import load_project, save_project

    save_project(load_project(project))
    assert json.loads(project.read_text())["range"] == [55, None]


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--crf", "999"], "--crf 999: codec h264 takes 0 to 51"),
        (["--crf", "-3"], "takes 0 to 51"),
        (["--codec", "vp9", "--crf", "64"], "codec vp9 takes 0 to 63"),
        (["--preset", "bogus"], "--preset 'bogus': codec h264 takes ultrafast"),
        (["--codec", "ffv1", "--crf", "10"], "codec ffv1 has no CRF"),
        (["--codec", "prores", "--preset", "slow"], "codec prores has no speed presets"),
    ],
)
def test_encoder_options_checked_before_any_work(make_project, tmp_path, flags, says, capsys):
    project = make_project()  # untracked: a late check would first track (or fail on weights)
    ext = {"ffv1": ".mkv", "prores": ".mov", "vp9": ".webm"}.get(
        flags[1] if flags[0] == "--codec" else "", ".mp4"
    )
    out = tmp_path / f"o{ext}"
    assert main(["render", str(project), "-o", str(out), *flags, "-q"]) == 1
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not masks_path_for(project).exists()


def test_valid_crf_and_preset_still_render(tracked, tmp_path):
    project = tracked()
    out = tmp_path / "o.mp4"
    assert (
        main(
            [
                "render",
                str(project),
                "-o",
                str(out),
                "--crf",
                "30",
                "--preset",
                "ultrafast",
                "--range",
                "0:5",
                "-q",
            ]
        )
        == 0
    )
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5
