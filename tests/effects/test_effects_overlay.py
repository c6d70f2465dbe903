"""Emoji / image overlays follow the object, stay put when the mask jitters, vanish when it is
gone; face ovals defeat a face detector; the bundled emoji set is complete and licensed."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from effects_scenes import FACE_BOX, dilated, ellipse_mask, real_frame

from effects import Compositor, ObjectLayer, compose
from effects.emoji import EMOJI_DIR, list_emoji, load_emoji


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[..., :3] != b[..., :3]).any(axis=2)


def centroid(m: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(m)
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


@pytest.fixture()
def disc_png(tmp_path) -> str:
    """A user PNG with alpha: an opaque magenta disc on a transparent square."""
    img = np.zeros((200, 200, 4), np.uint8)
    cv2.circle(img, (100, 100), 80, (255, 0, 255, 255), -1, cv2.LINE_AA)
    path = tmp_path / "disc.png"
    cv2.imwrite(str(path), img)
    return str(path)


def test_user_png_is_centred_on_the_mask_centroid(dog_frame, disc_png):
    # an asymmetric mask (an L shape) so the centroid differs from the bbox centre
    m = np.zeros((360, 640), bool)
    m[100:260, 200:240] = True
    m[220:260, 200:360] = True
    out = compose(dog_frame, {1: m}, {1: [{"type": "emoji", "emoji": disc_png, "scale": 0.6}]})
    drawn = changed(out, dog_frame)
    assert np.linalg.norm(centroid(drawn) - centroid(m)) < 2.0
    # size: 0.6 × the larger bbox side (160 px) × the disc's 160/200 share of the PNG
    ys, xs = np.nonzero(drawn)
    assert abs((xs.max() - xs.min() + 1) - 0.6 * 160 * 0.8) <= 3
    bbox = compose(
        dog_frame,
        {1: m},
        {1: [{"type": "emoji", "emoji": disc_png, "anchor": "bbox", "scale": 0.6}]},
    )
    assert np.linalg.norm(centroid(changed(bbox, dog_frame)) - [280, 180]) < 2.0


def test_bundled_emoji_is_centred_and_sharp_at_head_size(face_frame, face_mask):
    out = compose(face_frame, {1: face_mask}, {1: [{"type": "emoji", "emoji": "🐶"}]})
    drawn = changed(out, face_frame)
    rgba = load_emoji("🐶")
    # where the glyph sits in its own square (OpenMoji art is not exactly centred)
    ay, ax = np.nonzero(rgba[..., 3] > 0)
    side = 1.2 * 85
    offset = (np.array([ax.mean(), ay.mean()]) + 0.5 - 256) * side / 512
    assert np.linalg.norm(centroid(drawn) - (centroid(face_mask) + offset)) < 3.0
    assert rgba.shape[0] >= 512 and rgba.shape[1] >= 512  # downscaled, never upscaled, at 400 px


def test_overlay_hidden_when_object_absent(face_frame, face_mask):
    comp = Compositor([], [ObjectLayer(1, [{"type": "emoji", "emoji": "dog"}])])
    assert changed(comp.render(0, face_frame, {1: face_mask}), face_frame).any()
    assert not changed(comp.render(1, face_frame, {1: np.zeros_like(face_mask)}), face_frame).any()
    assert not changed(comp.render(2, face_frame, {}), face_frame).any()


def test_overlay_does_not_jitter_and_restarts_after_absence(dog_frame, disc_png):
    rng = np.random.default_rng(0)
    comp = Compositor(
        [], [ObjectLayer(1, [{"type": "emoji", "emoji": disc_png, "smoothing": 0.8}])]
    )
    raw, drawn = [], []
    for i in range(30):
        dx, dy = rng.integers(-6, 7, size=2)  # a noisy mask of a still object
        m = ellipse_mask((360, 640), (300 + dx, 150 + dy, 380 + dx, 230 + dy))
        raw.append(centroid(m))
        drawn.append(centroid(changed(comp.render(i, dog_frame, {1: m}), dog_frame)))
    raw_jitter = np.abs(np.diff(np.array(raw[10:]), axis=0)).mean()
    drawn_jitter = np.abs(np.diff(np.array(drawn[10:]), axis=0)).mean()
    assert drawn_jitter < 0.55 * raw_jitter, (raw_jitter, drawn_jitter)
    # gone for a frame, back elsewhere: drawn at the new place at once, no glide
    comp.render(30, dog_frame, {})
    far = ellipse_mask((360, 640), (60, 60, 140, 140))
    at = centroid(changed(comp.render(31, dog_frame, {1: far}), dog_frame))
    assert np.linalg.norm(at - centroid(far)) < 2.0


def test_overlay_follows_a_moving_object_without_trailing(dog_frame, disc_png):
    """Smoothing must not make the emoji lag behind a moving head: at 12 px/frame the drawn
    centre stays within 6 px of the mask (an EMA of the same strength trails by ~18 px)."""
    comp = Compositor([], [ObjectLayer(1, [{"type": "emoji", "emoji": disc_png}])])
    lags = []
    for i in range(30):
        x = 60 + 12 * i
        m = ellipse_mask((360, 640), (x, 150, x + 80, 230))
        drawn = centroid(changed(comp.render(i, dog_frame, {1: m}), dog_frame))
        lags.append(np.linalg.norm(drawn - centroid(m)))
    assert max(lags[10:]) < 6.0, lags


def test_overlay_rotation_and_opacity(dog_frame, face_mask):
    flat = compose(dog_frame, {1: face_mask}, {1: [{"type": "emoji", "emoji": "star"}]})
    turned = compose(
        dog_frame, {1: face_mask}, {1: [{"type": "emoji", "emoji": "star", "rotation": 36}]}
    )
    assert changed(flat, turned).any()
    faint = compose(
        dog_frame, {1: face_mask}, {1: [{"type": "emoji", "emoji": "star", "opacity": 0.3}]}
    )
    d_full = np.abs(flat.astype(int) - dog_frame).sum()
    d_faint = np.abs(faint.astype(int) - dog_frame).sum()
    assert 0.2 < d_faint / d_full < 0.4


HAAR = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def faces_near(rgb: np.ndarray, box) -> int:
    grey = cv2.cvtColor(rgb[..., :3], cv2.COLOR_RGB2GRAY)
    hits = HAAR.detectMultiScale(grey, 1.1, 3, minSize=(24, 24))
    x0, y0, x1, y1 = box
    return sum(1 for (x, y, w, h) in hits if x < x1 and x + w > x0 and y < y1 and y + h > y0)


@pytest.mark.parametrize("mode", ["blur", "pixelate"])
def test_face_oval_defeats_a_face_detector(mode, face_frame, face_mask):
    """Default settings: OpenCV's Haar detector (at a sensitive setting) finds the magician's
    face in every sampled frame before, and in none after."""
    for idx in range(0, 24, 4):
        frame = real_frame("people_audio.mp4", idx)
        assert faces_near(frame, FACE_BOX) >= 1, idx
        out = compose(frame, {1: face_mask}, {1: [{"type": "face_blur", "mode": mode}]})
        assert faces_near(out, FACE_BOX) == 0, idx
    out = compose(face_frame, {1: face_mask}, {1: [{"type": "face_blur", "mode": mode}]})
    # only the oval (1.2 × the box, inscribed) changed
    x0, y0, x1, y1 = FACE_BOX
    cx, cy, ax, ay = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.6, (y1 - y0) * 0.6
    oval = ellipse_mask(
        face_mask.shape, (int(cx - ax), int(cy - ay), int(cx + ax) + 1, int(cy + ay) + 1)
    )
    assert not changed(out, face_frame)[~dilated(oval, 2)].any()
    assert changed(out, face_frame)[face_mask].mean() > 0.8


def test_bundled_set_is_complete_and_licensed():
    items = list_emoji()
    assert len(items) >= 40
    index = json.loads((EMOJI_DIR / "index.json").read_text(encoding="utf-8"))
    assert "CC BY-SA 4.0" in index["license"]
    assert (EMOJI_DIR / "LICENSE.txt").is_file() and (EMOJI_DIR / "ATTRIBUTION.md").is_file()
    for e in items:
        assert e.path.is_file(), e.path
    sizes = [load_emoji(e.name).shape for e in items[:5]]
    assert all(s[0] >= 512 and s[2] == 4 for s in sizes)
    assert load_emoji("🐶") is load_emoji("dog")  # one cached array per emoji
    total = sum(e.path.stat().st_size for e in items)
    assert total < 3_000_000


def test_two_threads_render_at_once(face_frame, face_mask):
    """The GUI preview and an export render in parallel: shared sprite caches stay
    consistent and each thread gets the same pixels as a lone render."""
    from concurrent.futures import ThreadPoolExecutor

    def run(seed: int) -> list[np.ndarray]:
        comp = Compositor(
            [{"type": "pixelate"}],
            [ObjectLayer(1, [{"type": "emoji", "emoji": "fox", "smoothing": 0}])],
        )
        outs = []
        for i in range(12):
            grow = (seed * 7 + i * 5) % 23  # a new sprite size on most frames
            m = dilated(face_mask, grow)
            outs.append(comp.render(i, face_frame, {1: m}))
        return outs

    alone = run(1)
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(run, [1, 2, 1, 2]))
    for a, b in zip(alone, together[0], strict=True):
        assert (a == b).all()
    for a, b in zip(together[1], together[3], strict=True):
        assert (a == b).all()
