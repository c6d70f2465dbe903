"""Pixel operations: each returns the region ``frame[ys, xs]`` with the effect applied to every
pixel; the compositor then blends it in through the target's alpha. RGB uint8 in and out."""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import cv2
import numpy as np


def _grow_slices(ys: slice, xs: slice, pad: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    return (
        slice(max(0, ys.start - pad), min(shape[0], ys.stop + pad)),
        slice(max(0, xs.start - pad), min(shape[1], xs.stop + pad)),
    )


def pixelate(frame: np.ndarray, ys: slice, xs: slice, block: int) -> np.ndarray:
    """Mosaic of ``block``-px squares aligned to the frame grid, so blocks do not crawl as a
    moving object's bounding box shifts. Each block is the mean of its pixels (partial blocks
    at the frame's right/bottom edge: of the pixels that exist)."""
    h, w = frame.shape[:2]
    gy0, gx0 = (ys.start // block) * block, (xs.start // block) * block
    gy1, gx1 = min(h, -(-ys.stop // block) * block), min(w, -(-xs.stop // block) * block)
    small = block_means(frame[gy0:gy1, gx0:gx1], block)
    big = repeat_blocks(small, block)
    return big[ys.start - gy0 : ys.stop - gy0, xs.start - gx0 : xs.stop - gx0]


def repeat_blocks(small: np.ndarray, block: int) -> np.ndarray:
    """Each pixel of ``small`` as a ``block``×``block`` square: nearest-neighbour upscaling.

    OpenCV widens the rows only; NumPy then copies each row ``block`` times (a broadcast,
    memory-bound): ≈ 6–7× faster than one ``INTER_NEAREST`` resize to 1080p (bench/conversions.py),
    same pixels."""
    ny, nx = small.shape[:2]
    rows = cv2.resize(small, (nx * block, ny), interpolation=cv2.INTER_NEAREST)
    rows = rows.reshape(ny, nx * block, -1)
    big = np.empty((ny, block, nx * block, rows.shape[2]), small.dtype)
    big[:] = rows[:, None]
    return big.reshape(ny * block, nx * block, *small.shape[2:])


def block_means(region: np.ndarray, block: int) -> np.ndarray:
    """Mean colour of each ``block``×``block`` cell of ``region`` (ceil-sized grid)."""
    h, w = region.shape[:2]
    fy, fx = h // block, w // block
    ny, nx = -(-h // block), -(-w // block)
    small = np.empty((ny, nx, region.shape[2]), np.uint8)
    area = cv2.INTER_AREA
    if fy and fx:
        full = region[: fy * block, : fx * block]
        factor = block
        while factor % 2 == 0 and factor >= 4:
            # OpenCV's 2× area reduction is SIMD and each halving leaves 4× less to reduce:
            # ≈ 3× faster than one integer-factor reduction at 1080p (means within ±1 level)
            factor //= 2
            full = cv2.resize(full, (fx * factor, fy * factor), interpolation=area)
        small[:fy, :fx] = cv2.resize(full, (fx, fy), interpolation=area)
    if nx > fx and fy:  # right edge strip of partial blocks
        small[:fy, fx:] = cv2.resize(
            region[: fy * block, fx * block :], (1, fy), interpolation=area
        ).reshape(fy, 1, -1)
    if ny > fy and fx:  # bottom edge strip
        small[fy:, :fx] = cv2.resize(
            region[fy * block :, : fx * block], (fx, 1), interpolation=area
        ).reshape(1, fx, -1)
    if ny > fy and nx > fx:
        small[fy:, fx:] = region[fy * block :, fx * block :].reshape(-1, region.shape[2]).mean(0)
    return small


def gaussian(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur that costs about the same for any sigma: large sigmas halve the image
    repeatedly (2×2 area averaging, which OpenCV vectorises), blur the small image with the
    remaining sigma and scale it back up; the result is smooth at that scale, so nothing
    visible is lost (mean error < 2 levels against a full-size GaussianBlur)."""
    if sigma <= 3.0:
        return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    h, w = img.shape[:2]
    small, scale, var = img, 1, 0.0
    # keep ≥ 2 px of blur for the last step so the upscaled result has no visible steps
    while sigma / (2 * scale) >= 2.0 and min(small.shape[:2]) >= 16:
        sh, sw = small.shape[:2]
        small = cv2.resize(
            small[: sh - sh % 2, : sw - sw % 2], (sw // 2, sh // 2), interpolation=cv2.INTER_AREA
        )
        var += 0.25 * scale * scale  # a 2-px box has variance 1/4 (in that level's px)
        scale *= 2
    rest = math.sqrt(max(sigma * sigma - var, 1.0)) / scale
    small = cv2.GaussianBlur(small, (0, 0), rest, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blur(frame: np.ndarray, ys: slice, xs: slice, sigma: float, context: int = 48) -> np.ndarray:
    """Blur with real surrounding pixels as context: the ROI is padded by 3 sigma, at most
    ``context`` px (beyond that the reflected border is indistinguishable in a heavy blur and
    the padding would cost more than the blur)."""
    pys, pxs = _grow_slices(ys, xs, min(context, int(math.ceil(3 * sigma))), frame.shape)
    out = gaussian(frame[pys, pxs], sigma)
    return out[
        ys.start - pys.start : ys.stop - pys.start, xs.start - pxs.start : xs.stop - pxs.start
    ]


def fill(frame: np.ndarray, ys: slice, xs: slice, rgb: tuple[int, int, int]) -> np.ndarray:
    """A solid region (a view of a cached frame-sized plate: filling 1080p anew costs ~20 ms)."""
    return _plate(frame.shape[0], frame.shape[1], rgb)[ys, xs]


@lru_cache(maxsize=8)
def _plate(h: int, w: int, rgb: tuple[int, int, int]) -> np.ndarray:
    plate = np.empty((h, w, 3), np.uint8)
    plate[:] = rgb
    plate.setflags(write=False)
    return plate


def grey(frame: np.ndarray, ys: slice, xs: slice, amount: float) -> np.ndarray:
    roi = np.ascontiguousarray(frame[ys, xs])
    g = cv2.cvtColor(cv2.cvtColor(roi, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if amount >= 1.0:
        return g
    return cv2.addWeighted(roi, 1.0 - amount, g, amount, 0.0)


def dim(frame: np.ndarray, ys: slice, xs: slice, amount: float) -> np.ndarray:
    return cv2.convertScaleAbs(frame[ys, xs], alpha=1.0 - amount)


def erase(frame: np.ndarray, ys: slice, xs: slice, mask01: np.ndarray, smooth: float) -> np.ndarray:
    """Fill the masked pixels from their surroundings (Telea inpainting on a copy scaled so its
    longer side is ≤ 128 px: large holes inpaint in milliseconds and come out smooth anyway)."""
    h, w = ys.stop - ys.start, xs.stop - xs.start
    pad = max(8, int(0.15 * max(h, w)))
    pys, pxs = _grow_slices(ys, xs, pad, frame.shape)
    region = np.ascontiguousarray(frame[pys, pxs])
    hole = np.ascontiguousarray(mask01[pys, pxs])
    rh, rw = region.shape[:2]
    f = max(1.0, max(rh, rw) / 128.0)
    sw, sh = max(1, round(rw / f)), max(1, round(rh / f))
    small = cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole * 255, (sw, sh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.dilate((small_hole > 0).astype(np.uint8), np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(small, small_hole, 3, cv2.INPAINT_TELEA)
    if smooth > 0:
        filled = cv2.GaussianBlur(filled, (0, 0), max(0.5, smooth / f))
    out = cv2.resize(filled, (rw, rh), interpolation=cv2.INTER_LINEAR)
    return out[
        ys.start - pys.start : ys.stop - pys.start, xs.start - pxs.start : xs.stop - pxs.start
    ]


_COVER_LOCK = threading.Lock()
_COVER_CACHE: dict[tuple[int, tuple[int, int]], tuple[np.ndarray, np.ndarray]] = {}


def cover_image(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Scale and centre-crop ``img`` to cover a frame of ``shape`` (H, W), cached."""
    key = (id(img), shape)
    with _COVER_LOCK:
        hit = _COVER_CACHE.get(key)
    if hit is not None and hit[0] is img:
        return hit[1]
    out = _cover(img, shape)
    with _COVER_LOCK:
        if len(_COVER_CACHE) >= 4:
            _COVER_CACHE.clear()
        _COVER_CACHE[key] = (img, out)  # keep img alive so its id() stays unique
    return out


def _cover(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * s)), max(h, round(ih * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    big = cv2.resize(img, (nw, nh), interpolation=interp)
    y0, x0 = (nh - h) // 2, (nw - w) // 2
    out = np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])
    out.setflags(write=False)
    return out
