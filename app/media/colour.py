"""RGB → 8-bit Y'CbCr (BT.709, limited range) for the encoder, without swscale's generic path.

Why by hand: swscale has SIMD fast paths for YUV → RGB but none for RGB → yuv420p, which takes
its generic scaler — the largest single cost of a render. OpenCV's `cv2.transform` applies the
3×4 matrix with SIMD and `INTER_AREA` halves the chroma (2×2 box average, chroma sited at the
centre of each 2×2 block): about half swscale's time per 1080p frame (bench/conversions.py
times both in the same run). The result matches swscale's within 1 level in Y and 2 in Cb/Cr
(tests check the values). Formats other than 8-bit yuv420p/yuv444p keep going through swscale.
"""

from __future__ import annotations

import av
import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["FAST_FORMATS", "rgb_to_yuv_frame"]

#: encoder pixel formats `rgb_to_yuv_frame` writes directly
FAST_FORMATS = frozenset({"yuv420p", "yuv444p"})

_KR, _KB = 0.2126, 0.0722  # BT.709 luma coefficients
_KG = 1.0 - _KR - _KB
_RGB_TO_YCBCR = np.array(
    [
        [_KR, _KG, _KB],
        [-_KR / (2 * (1 - _KB)), -_KG / (2 * (1 - _KB)), 0.5],
        [0.5, -_KG / (2 * (1 - _KR)), -_KB / (2 * (1 - _KR))],
    ]
)
# Limited ("MPEG") range: Y' in 16..235, Cb/Cr in 16..240 around 128; cv2.transform rounds and
# saturates to uint8.
_MATRIX = np.hstack(
    [_RGB_TO_YCBCR * np.array([[219 / 255], [224 / 255], [224 / 255]]), [[16], [128], [128]]]
).astype(np.float32)


def _plane_view(plane: av.video.plane.VideoPlane) -> npt.NDArray[np.uint8]:
    """Writable H×W view of a frame plane (rows may be padded to `line_size`)."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def rgb_to_yuv_frame(rgb: np.ndarray, pix_fmt: str) -> av.VideoFrame:
    """An ``H×W×3`` uint8 RGB image as a BT.709 limited-range `pix_fmt` frame.

    `pix_fmt` must be in `FAST_FORMATS`; yuv420p needs even width and height.
    """
    if pix_fmt not in FAST_FORMATS:
        raise ValueError(f"rgb_to_yuv_frame writes {sorted(FAST_FORMATS)}, not {pix_fmt}")
    h, w = rgb.shape[:2]
    if pix_fmt == "yuv420p" and (w % 2 or h % 2):
        raise ValueError(f"yuv420p needs an even size, got {w}x{h}")
    ycbcr = cv2.transform(rgb, _MATRIX)
    frame = av.VideoFrame(w, h, pix_fmt)
    y, cb, cr = (_plane_view(p) for p in frame.planes)
    cv2.extractChannel(ycbcr, 0, dst=y)
    chroma = (
        ycbcr
        if pix_fmt == "yuv444p"
        else cv2.resize(ycbcr, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    )
    cv2.extractChannel(chroma, 1, dst=cb)
    cv2.extractChannel(chroma, 2, dst=cr)
    return frame
