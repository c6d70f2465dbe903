"""The argparse converters: what a mistyped number or range tells the user (exit 2, one line)."""

from __future__ import annotations

import pytest

from app.cli import main
from app.cli_types import bounded, frame_range_arg
from app.frame_range import FrameRange


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--every", "0"], "argument --every: 0 must be 1 or more"),
        (["--every", "2.5"], "argument --every: '2.5' is not a whole number"),
        (["--val", "1.5"], "argument --val: 1.5 must be between 0 and 1"),
        (["--min-change", "x"], "argument --min-change: 'x' is not a number"),
        (["--quality", "101"], "argument --quality: 101 must be between 1 and 100 (JPEG quality)"),
        (["--simplify", "-1"], "argument --simplify: -1.0 must be 0 or more"),
        (["--range", "5:2"], "argument --range: --range '5:2': END must be greater than START"),
    ],
)
def test_export_option_errors_are_one_line_usage_errors(
    argv: list[str], message: str, tmp_path, capsys
) -> None:
    out = tmp_path / "ds"
    code = main(["export", str(tmp_path / "a.rotokit"), "--format", "coco", "-o", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_bounded_accepts_the_bounds_themselves() -> None:
    fraction = bounded(float, 0.0, 1.0)
    assert fraction("0") == 0.0 and fraction("1") == 1.0
    quality = bounded(int, 1, 100)
    assert quality("1") == 1 and quality("100") == 100
    assert isinstance(quality("7"), int)


def test_track_range_goes_through_the_one_parser(capsys) -> None:
    assert frame_range_arg("10:") == FrameRange(10, None)
    assert main(["track", "x.rotokit", "--range", "a:b"]) == 2
    assert "START and END must be whole frame numbers" in capsys.readouterr().err
