"""The writer's own RGB → BT.709 Y'CbCr conversion: exact reference colours, agreement with
swscale on real frames, and planes written correctly when rows are padded."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from app.media.colour import rgb_to_yuv_frame
from tests.shared_media import clip_path


def planes(frame: av.VideoFrame) -> list[np.ndarray]:
    return [
        np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width].astype(int)
        for p in frame.planes
    ]


@pytest.mark.parametrize(
    ("rgb", "ycbcr"),
    [  # BT.709 limited range (ITU-R BT.709-6 table 4, 8-bit)
        ((0, 0, 0), (16, 128, 128)),
        ((255, 255, 255), (235, 128, 128)),
        ((255, 0, 0), (63, 102, 240)),
        ((0, 255, 0), (173, 42, 26)),
        ((0, 0, 255), (32, 240, 118)),
    ],
)
def test_reference_colours(rgb: tuple[int, int, int], ycbcr: tuple[int, int, int]) -> None:
    image = np.zeros((4, 6, 3), np.uint8)
    image[:] = rgb
    for fmt in ("yuv420p", "yuv444p"):
        y, cb, cr = planes(rgb_to_yuv_frame(image, fmt))
        assert (y == ycbcr[0]).all() and (cb == ycbcr[1]).all() and (cr == ycbcr[2]).all(), fmt


@pytest.mark.parametrize(
    ("size", "fmt"), [((1920, 1080), "yuv420p"), ((1000, 562), "yuv420p"), ((641, 361), "yuv444p")]
)
def test_matches_swscale_on_a_real_frame(size: tuple[int, int], fmt: str) -> None:
    with av.open(str(clip_path("dog_ball.mp4"))) as c:
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb24")
    rgb = np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
    ours = rgb_to_yuv_frame(rgb, fmt)
    ref = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format=fmt, dst_colorspace="ITU709", dst_color_range="MPEG", interpolation="AREA"
    )
    assert (ours.width, ours.height, ours.format.name) == (size[0], size[1], fmt)
    for mine, theirs in zip(planes(ours), planes(ref), strict=True):
        assert np.abs(mine - theirs).max() <= 2
        assert np.abs(mine - theirs).mean() < 0.2


def test_rejects_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="even size"):
        rgb_to_yuv_frame(np.zeros((3, 4, 3), np.uint8), "yuv420p")
    with pytest.raises(ValueError, match="yuv422p"):
        rgb_to_yuv_frame(np.zeros((4, 4, 3), np.uint8), "yuv422p")
