"""What a user sees: effects change their target and nothing else, on real frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from effects_scenes import DOG_BOX, WOMAN_BOX, dilated, ellipse_mask

from effects import EFFECT_TYPES, Compositor, ObjectLayer, compose
from effects.masks import margin

MASK_EFFECTS = [k for k, t in EFFECT_TYPES.items() if t.region == "mask" and k != "cutout"]
BG_EFFECTS = [k for k, t in EFFECT_TYPES.items() if t.on_background and k != "cutout"]
EDGES = [{}, {"grow": 6}, {"grow": -4}, {"feather": 9}, {"grow": 5, "feather": 12.5}]


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[..., :3] != b[..., :3]).any(axis=2)


def laplacian(rgb: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return cv2.Laplacian(g, cv2.CV_64F)


def detail_kept(before: np.ndarray, after: np.ndarray, where: np.ndarray) -> float:
    """How much of the original fine detail survives: correlation of the Laplacians (the
    high-frequency content) of the two images over ``where``; 1 = all of it, ~0 = none."""
    return float(np.corrcoef(laplacian(before)[where], laplacian(after)[where])[0, 1])


@pytest.mark.parametrize(
    "edge", EDGES, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()) or "hard"
)
@pytest.mark.parametrize("kind", MASK_EFFECTS)
def test_object_effect_leaves_outside_exactly_untouched(kind, edge, dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": kind, **edge}]})
    reach = dilated(dog_mask, margin(edge.get("grow", 0), edge.get("feather", 0)) - 1)
    assert not changed(out, dog_frame)[~reach].any()
    assert changed(out, dog_frame)[dog_mask].mean() > 0.5  # and it did something inside


@pytest.mark.parametrize("edge", [{}, {"grow": 4, "feather": 6}], ids=["hard", "soft"])
@pytest.mark.parametrize("kind", BG_EFFECTS)
def test_background_effect_leaves_objects_exactly_untouched(kind, edge, dog_frame, dog_mask):
    woman = ellipse_mask(dog_mask.shape, WOMAN_BOX)
    out = compose(
        dog_frame, {1: dog_mask, 2: woman}, {1: [], 2: []}, background=[{"type": kind, **edge}]
    )
    # a background "grow" eats into the objects: shrink the objects by that reach
    reach = margin(edge.get("grow", 0), edge.get("feather", 0)) - 1
    for m in (dog_mask, woman):
        core = ~dilated(~m, reach) if reach > 0 else m
        assert core.any() and not changed(out, dog_frame)[core].any()
    assert changed(out, dog_frame)[~(dog_mask | woman)].mean() > 0.5


@pytest.mark.parametrize("kind", ["colour_pop", "spotlight"])
def test_inverse_object_effects_keep_the_object(kind, dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": kind}]})
    assert not changed(out, dog_frame)[dog_mask].any()
    assert changed(out, dog_frame)[~dog_mask].mean() > 0.5


def test_colour_pop_greys_everything_else(dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "colour_pop"}]})
    rest = out[~dog_mask].astype(int)
    assert np.abs(rest[:, 0] - rest[:, 1]).max() <= 1 and np.abs(rest[:, 1] - rest[:, 2]).max() <= 1


@pytest.mark.parametrize("block", [8, 16, 32])
def test_pixelate_removes_detail(block, dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "pixelate", "block": block}]})
    inner = ~dilated(~dog_mask, 2)
    assert detail_kept(dog_frame, dog_frame, inner) > 0.99
    # stated bound: < 10 % of the original high-frequency detail is left (measured 3 % at
    # block 8, ~0 % at 16 and 32); the remaining energy is on block borders only
    assert detail_kept(dog_frame, out, inner) < 0.10
    # and blocks are flat: every full block inside the mask has one colour
    y0, x0 = -(-DOG_BOX[1] // block) * block, -(-DOG_BOX[0] // block) * block
    for y in range(y0, DOG_BOX[3] - block, block):
        for x in range(x0, DOG_BOX[2] - block, block):
            if dog_mask[y : y + block, x : x + block].all():
                cell = out[y : y + block, x : x + block].reshape(-1, 3)
                assert (cell == cell[0]).all()


@pytest.mark.parametrize("block", [5, 12, 24, 32])
def test_pixelate_cells_are_the_means_of_their_pixels(block, dog_frame):
    from effects import ops

    h, w = dog_frame.shape[:2]
    out = ops.pixelate(dog_frame, slice(0, h), slice(0, w), block)
    assert out.shape == dog_frame.shape
    for y in range(0, h, block):
        for x in range(0, w, block):
            mean = dog_frame[y : y + block, x : x + block].reshape(-1, 3).mean(axis=0)
            cell = out[y : y + block, x : x + block].reshape(-1, 3)
            assert (cell == cell[0]).all(), (y, x)
            assert np.abs(cell[0] - mean).max() <= 1.5, (y, x, cell[0], mean)


def test_repeat_blocks_is_exact_nearest_upscaling():
    from effects.ops import repeat_blocks

    rng = np.random.default_rng(0)
    for shape in [(3, 5, 3), (45, 80, 3), (7, 4), (1, 1, 4)]:
        small = rng.integers(0, 256, shape, dtype=np.uint8)
        for block in (1, 2, 24):
            expect = small.repeat(block, axis=0).repeat(block, axis=1)
            assert np.array_equal(repeat_blocks(small, block), expect)


def test_blur_removes_detail(dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "blur", "strength": 8}]})
    inner = ~dilated(~dog_mask, 2)
    assert detail_kept(dog_frame, out, inner) < 0.10
    assert laplacian(out)[inner].var() < 0.05 * laplacian(dog_frame)[inner].var()


def test_fill_and_opacity(dog_frame, dog_mask):
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "fill", "colour": "#ff0000"}]})
    assert (out[dog_mask] == [255, 0, 0]).all()
    half = compose(
        dog_frame, {1: dog_mask}, {1: [{"type": "fill", "colour": "#ff0000", "opacity": 0.5}]}
    )
    expect = (dog_frame[dog_mask].astype(float) + [255, 0, 0]) / 2
    assert np.abs(half[dog_mask] - expect).max() <= 1.0


def test_erase_fills_from_surroundings(dog_frame, dog_mask):
    """The dog is white/brown on grey paving: after erase the area looks like the paving."""
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "erase", "grow": 4}]})
    ring = dilated(dog_mask, 20) & ~dilated(dog_mask, 6)
    surround = dog_frame[ring].astype(float).mean(axis=0)
    inside_before = dog_frame[dog_mask].astype(float)
    inside_after = out[dog_mask].astype(float)
    assert np.abs(inside_after.mean(axis=0) - surround).max() < 12
    assert inside_after.std(axis=0).max() < 0.6 * inside_before.std(axis=0).max()


def test_replace_with_image_and_blur(dog_frame, dog_mask, tmp_path):
    img = np.zeros((90, 160, 3), np.uint8)
    img[:, :80] = (0, 0, 255)  # BGR on disk: red left half
    cv2.imwrite(str(tmp_path / "bg.png"), img)
    out = compose(
        dog_frame,
        {1: dog_mask},
        {1: []},
        background=[{"type": "replace", "mode": "image", "image": str(tmp_path / "bg.png")}],
    )
    assert (out[:, :300][~dog_mask[:, :300]] == [255, 0, 0]).all()
    assert (out[:, 340:][~dog_mask[:, 340:]] == [0, 0, 0]).all()
    assert not changed(out, dog_frame)[dog_mask].any()


def test_feather_is_a_monotone_ramp_of_the_stated_width():
    black = np.zeros((100, 200, 3), np.uint8)
    m = np.zeros((100, 200), bool)
    m[:, 100:] = True  # vertical edge between x = 99 and x = 100
    for feather in (4.0, 10.0, 25.0):
        out = compose(
            black, {1: m}, {1: [{"type": "fill", "colour": "#ffffff", "feather": feather}]}
        )
        row = out[50, :, 0].astype(int)
        assert (np.diff(row) >= 0).all()  # monotone
        ramp = np.flatnonzero((row > 0) & (row < 255))
        assert abs(len(ramp) - feather) <= 1.0  # of the stated width
        # centred on the edge: alpha 0.5 at x = 100 (the edge lies between 99.5 and 100.5)
        assert abs((row[99] + row[100]) / 2 - 127.5) < 255 / feather
        assert (row[: int(100 - feather / 2) - 1] == 0).all()
        assert (row[int(100 + feather / 2) + 1 :] == 255).all()
    # and on a real outline shape (a disc): the radial profile is monotone too
    disc = ellipse_mask((100, 200), (60, 10, 140, 90))
    out = compose(black, {1: disc}, {1: [{"type": "fill", "colour": "#ffffff", "feather": 10}]})
    assert (np.diff(out[50, 100:, 0].astype(int)) <= 0).all()


def test_grow_covers_more(dog_frame, dog_mask):
    out = compose(
        dog_frame, {1: dog_mask}, {1: [{"type": "fill", "colour": "#00ff00", "grow": 10}]}
    )
    ring = dilated(dog_mask, 9) & ~dog_mask
    assert (out[ring] == [0, 255, 0]).all()
    out = compose(
        dog_frame, {1: dog_mask}, {1: [{"type": "fill", "colour": "#00ff00", "grow": -10}]}
    )
    edge = dog_mask & dilated(~dog_mask, 9)
    assert not changed(out, dog_frame)[edge].any()


def test_cutout_alpha(dog_frame, dog_mask):
    woman = ellipse_mask(dog_mask.shape, WOMAN_BOX)
    # on the background: keep only the objects
    out = compose(
        dog_frame, {1: dog_mask, 2: woman}, {1: [], 2: []}, background=[{"type": "cutout"}]
    )
    assert out.shape == (360, 640, 4)
    assert (out[..., 3][dog_mask | woman] == 255).all()
    assert (out[..., 3][~(dog_mask | woman)] == 0).all()
    assert (out[..., :3] == dog_frame).all()  # straight alpha: colour kept
    # on an object: a hole; feathered edges give intermediate alpha
    out = compose(dog_frame, {1: dog_mask}, {1: [{"type": "cutout", "feather": 8}]})
    a = out[..., 3]
    assert (a[~dilated(dog_mask, 5)] == 255).all()
    assert (a[~dilated(~dog_mask, 5)] == 0).all()
    assert ((a > 0) & (a < 255)).sum() > 100


def test_outline_draws_a_ring_outside_only(dog_frame, dog_mask):
    out = compose(
        dog_frame, {1: dog_mask}, {1: [{"type": "outline", "width": 5, "colour": "#ff00ff"}]}
    )
    assert not changed(out, dog_frame)[dog_mask].any()
    assert not changed(out, dog_frame)[~dilated(dog_mask, 6)].any()
    ring = dilated(dog_mask, 4) & ~dilated(dog_mask, 1)
    assert (out[ring] == [255, 0, 255]).all()
    glow = compose(dog_frame, {1: dog_mask}, {1: [{"type": "outline", "width": 3, "glow": 6}]})
    assert changed(glow, dog_frame)[dilated(dog_mask, 12) & ~dilated(dog_mask, 4)].mean() > 0.5
    assert not changed(glow, dog_frame)[dog_mask].any()


def test_overlap_upper_object_wins_and_hidden_layers_do_nothing(dog_frame):
    a = ellipse_mask((360, 640), (100, 100, 300, 300))
    b = ellipse_mask((360, 640), (200, 100, 400, 300))
    red, blue = {"type": "fill", "colour": "#ff0000"}, {"type": "fill", "colour": "#0000ff"}
    out = compose(dog_frame, {1: a, 2: b}, {1: [red], 2: [blue]})
    assert (out[a & b] == [0, 0, 255]).all() and (out[a & ~b] == [255, 0, 0]).all()
    out = compose(dog_frame, {1: a, 2: b}, {2: [blue], 1: [red]})
    assert (out[a & b] == [255, 0, 0]).all()
    # a hidden object neither paints nor protects its pixels from the background stack
    comp = Compositor(
        [{"type": "fill", "colour": "#00ff00"}],
        [ObjectLayer(1, [red], visible=False), ObjectLayer(2, [])],
    )
    out = comp.render(0, dog_frame, {1: a, 2: b})
    assert (out[a & ~b] == [0, 255, 0]).all()
    assert not changed(out, dog_frame)[b].any()


def test_soft_float_mask_is_used_as_alpha(dog_frame):
    soft = np.zeros((360, 640), np.float32)
    soft[100:200, 100:200] = 0.5
    soft[100:200, 200:300] = 1.0
    out = compose(dog_frame, {1: soft}, {1: [{"type": "fill", "colour": "#ffffff"}]})
    expect = (dog_frame[150, 150].astype(float) + 255) / 2
    assert np.abs(out[150, 150] - expect).max() <= 1
    assert (out[150, 250] == 255).all()
    assert not changed(out, dog_frame)[soft == 0].any()


def test_temporal_vote_bridges_a_one_frame_dropout(dog_frame, dog_mask):
    comp = Compositor([], [ObjectLayer(1, [{"type": "fill", "colour": "#ff0000", "temporal": 2}])])
    empty = np.zeros_like(dog_mask)
    seq = [dog_mask, dog_mask, empty, dog_mask, empty, empty, empty]
    filled = [
        bool((comp.render(i, dog_frame, {1: m})[dog_mask] == [255, 0, 0]).all())
        for i, m in enumerate(seq)
    ]
    assert filled == [True, True, True, True, False, False, False]  # frame 2 bridged
    plain = Compositor([], [ObjectLayer(1, [{"type": "fill"}])])
    assert not changed(plain.render(0, dog_frame, {1: empty}), dog_frame).any()


def test_frame_and_mask_shape_errors(dog_frame, dog_mask):
    with pytest.raises(ValueError, match="mask of object 1"):
        compose(dog_frame, {1: dog_mask[:100]}, {1: [{"type": "blur"}]})
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        compose(dog_frame[..., 0], {}, {})


def test_frame_border_is_not_an_edge():
    """An object cut by the frame border is not feathered or shrunk along the border."""
    black = np.zeros((100, 200, 3), np.uint8)
    m = np.zeros((100, 200), bool)
    m[:, :100] = True
    out = compose(
        black, {1: m}, {1: [{"type": "fill", "colour": "#ffffff", "feather": 10, "grow": -3}]}
    )
    assert (out[:, :85, 0] == 255).all()
    assert (out[0, :85] == 255).all() and (out[-1, :85] == 255).all()


def test_reused_mask_buffer_does_not_corrupt_temporal_history(dog_frame, dog_mask):
    comp = Compositor([], [ObjectLayer(1, [{"type": "fill", "temporal": 2}])])
    buf = dog_mask.copy()
    comp.render(0, dog_frame, {1: buf})
    comp.render(1, dog_frame, {1: buf})
    buf[:] = False  # the caller reuses its buffer for an empty frame
    out = comp.render(2, dog_frame, {1: buf})
    assert (out[dog_mask] == 0).all()  # two of three frames still had the object


@pytest.mark.parametrize("kind", BG_EFFECTS)
def test_background_fast_path_matches_the_general_path(kind, dog_frame, dog_mask):
    """The first hard background effect takes a shortcut (whole frame, then objects put
    back); it must give exactly the pixels of the general masked path."""
    woman = ellipse_mask(dog_mask.shape, WOMAN_BOX)
    masks, stacks = {1: dog_mask, 2: woman}, {1: [], 2: []}
    fast = compose(dog_frame, masks, stacks, background=[{"type": kind}])
    # a no-op first effect (opacity 0) sends the real one down the general path
    general = compose(
        dog_frame, masks, stacks, background=[{"type": "fill", "opacity": 0}, {"type": kind}]
    )
    assert (fast == general).all()


@pytest.mark.parametrize("kind", list(EFFECT_TYPES))
def test_every_effect_on_an_odd_sized_frame_with_border_masks(kind):
    """odd_size.mp4 is 641×359: partial pixelate blocks, odd halvings in the blur pyramid and
    objects cut by the frame edge must all work."""
    from effects_scenes import real_frame

    frame = real_frame("odd_size.mp4", 5)
    assert frame.shape == (359, 641, 3)
    corner = np.zeros(frame.shape[:2], bool)
    corner[250:, 500:] = True  # touches the right and bottom edges
    left = ellipse_mask(frame.shape[:2], (-40, 100, 120, 300))  # cut by the left edge
    spec = {"type": kind}
    if EFFECT_TYPES[kind].on_objects:
        out = compose(frame, {1: corner, 2: left}, {1: [spec], 2: [{**spec, "feather": 5}]})
        assert out.shape[:2] == frame.shape[:2]
        assert changed(out, frame).any() or kind == "cutout"
    if EFFECT_TYPES[kind].on_background:
        out = compose(frame, {1: corner, 2: left}, {1: [], 2: []}, background=[spec])
        assert out.shape[:2] == frame.shape[:2]
        assert not changed(out, frame)[corner | left].any()


def test_known_boxes_give_the_same_frame_as_scanning(dog_frame, dog_mask, face_mask):
    from effects.masks import bbox

    stacks = [
        ObjectLayer(1, [{"type": "emoji", "emoji": "🐶"}, {"type": "outline"}]),
        ObjectLayer(2, [{"type": "face_blur"}]),
        ObjectLayer(3, [{"type": "blur"}]),
    ]
    background = [{"type": "pixelate", "block": 16}, {"type": "desaturate"}]
    masks = {1: dog_mask, 2: face_mask, 3: np.zeros_like(dog_mask)}
    boxes = {k: bbox(m.view(np.uint8)) for k, m in masks.items()}
    assert boxes[3] is None
    scanned = Compositor(background, stacks)
    told = Compositor(background, stacks)
    for i in range(3):
        assert np.array_equal(
            scanned.render(i, dog_frame, masks), told.render(i, dog_frame, masks, boxes=boxes)
        )
