"""Golden images: one rendering per effect type on a real frame (docs/effects/golden/*.png) and
a contact sheet of all of them (docs/effects/contact_sheet.png).

Regenerate after an intended visual change, look at the contact sheet, commit both::

    .venv/bin/python tests/effects/effects_golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from effects_scenes import DOG_BOX, FACE_BOX, WOMAN_BOX, ellipse_mask, real_frame  # noqa: E402

from effects import Compositor, ObjectLayer  # noqa: E402

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "docs" / "effects" / "golden"
SHEET = GOLDEN_DIR.parent / "contact_sheet.png"
WIDTH = 320  # stored size: half of the 640×360 clips

BODY_BOX = (180, 170, 490, 420)  # people_audio.mp4 frame 10: the magician's torso (rough)

# name → (scene, background stack, {obj_id: stack}); scenes are defined in `scene()`
GOLDEN: dict[str, tuple[str, list[dict[str, Any]], dict[int, list[dict[str, Any]]]]] = {
    "pixelate": ("dog", [], {1: [{"type": "pixelate", "block": 12}]}),
    "blur": ("dog", [{"type": "blur", "strength": 8, "feather": 6}], {1: [], 2: []}),
    "fill": (
        "dog",
        [],
        {
            1: [{"type": "fill", "colour": "#e0218a", "feather": 4}],
            2: [{"type": "fill", "colour": "#2a6fdb", "grow": 4}],
        },
    ),
    "erase": ("dog", [], {1: [{"type": "erase", "grow": 8}]}),
    "desaturate": (
        "dog",
        [],
        {1: [{"type": "desaturate"}], 2: [{"type": "desaturate", "amount": 0.5}]},
    ),
    "colour_pop": ("dog", [], {1: [{"type": "colour_pop"}]}),
    "spotlight": ("dog", [], {1: [{"type": "spotlight", "feather": 30}]}),
    "outline": (
        "dog",
        [],
        {
            1: [{"type": "outline", "width": 3, "colour": "#ffe600"}],
            2: [{"type": "outline", "width": 2, "colour": "#00e5ff", "glow": 6}],
        },
    ),
    "replace": ("dog", [{"type": "replace", "colour": "#00b140"}], {1: [], 2: []}),
    "cutout": ("dog", [{"type": "cutout", "feather": 3}], {1: [], 2: []}),
    "emoji": (
        "face",
        [],
        {1: [{"type": "emoji", "emoji": "🐶", "scale": 1.4, "rotation": 8, "smoothing": 0}]},
    ),
    "face_blur": ("face", [], {1: [{"type": "face_blur"}]}),
    "face_pixelate": ("face", [], {1: [{"type": "face_blur", "mode": "pixelate"}]}),
    "background_pixelate": ("dog", [{"type": "pixelate", "block": 16}], {1: [], 2: []}),
}


def scene(name: str) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    if name == "dog":
        shape = (360, 640)
        return real_frame("dog_ball.mp4", 0), {
            1: ellipse_mask(shape, DOG_BOX),
            2: ellipse_mask(shape, WOMAN_BOX),
        }
    shape = (360, 640)
    return real_frame("people_audio.mp4", 10), {
        1: ellipse_mask(shape, FACE_BOX),
        2: ellipse_mask(shape, BODY_BOX),
    }


def render(name: str) -> np.ndarray:
    """The golden rendering ``name`` at the stored size (RGB, or RGBA for a cut-out)."""
    scene_name, background, stacks = GOLDEN[name]
    frame, masks = scene(scene_name)
    comp = Compositor(background, [ObjectLayer(k, v) for k, v in stacks.items()])
    out = comp.render(0, frame, masks)
    h, w = out.shape[:2]
    return cv2.resize(out, (WIDTH, round(h * WIDTH / w)), interpolation=cv2.INTER_AREA)


def read_png(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(path)
    code = cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(img, code)


def write_png(path: Path, rgb: np.ndarray) -> None:
    code = cv2.COLOR_RGBA2BGRA if rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR
    cv2.imwrite(str(path), cv2.cvtColor(rgb, code), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def on_checkerboard(rgba: np.ndarray, cell: int = 10) -> np.ndarray:
    """RGBA → RGB over a grey checkerboard, so transparency is visible on the sheet."""
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // cell + xx // cell) % 2)[..., None] == 0, 200, 150).astype(np.float32)
    a = rgba[..., 3:4].astype(np.float32) / 255
    return (rgba[..., :3] * a + board * (1 - a) + 0.5).astype(np.uint8)


def contact_sheet(images: dict[str, np.ndarray], cols: int = 4) -> np.ndarray:
    tiles = []
    for name, img in images.items():
        rgb = on_checkerboard(img) if img.shape[2] == 4 else img
        label = np.full((22, rgb.shape[1], 3), 24, np.uint8)
        cv2.putText(
            label, name, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (240, 240, 240), 1, cv2.LINE_AA
        )
        tiles.append(np.vstack([rgb, label]))
    blank = np.zeros_like(tiles[0])
    while len(tiles) % cols:
        tiles.append(blank)
    rows = [np.hstack(tiles[i : i + cols]) for i in range(0, len(tiles), cols)]
    return np.vstack(rows)


README_HEAD = """# Effects

![every effect on a real frame](contact_sheet.png)

Each object has its own effect stack, and so has the background (every pixel that no visible
object covers). Effects are plain data in the project file, e.g.
`{"type": "pixelate", "block": 24}`; unknown types or bad parameters are refused with a message
naming the effect and the parameter. Stacks run background first, then objects bottom to top;
where objects overlap, the upper object's effects land on top.

Regenerate the golden images after an intended visual change, look at the contact sheet, and
commit both (`tests/effects/test_effects_golden.py` compares against them):

    .venv/bin/python tests/effects/effects_golden.py

The scenes are frame 0 of `dog_ball.mp4` and frame 10 of `people_audio.mp4` with synthetic
elliptical masks (dog, woman, face, torso), rendered at 640×360 and stored at 320 px wide.

## Parameters

This table is generated by `effects.effects_table_markdown()`.

"""
README_TAIL = """
Emoji: 52 bundled OpenMoji images (CC BY-SA 4.0, `resources/emoji/ATTRIBUTION.md`), by
character or short name (`"🐶"` or `"dog"`), or any PNG with alpha by path.
"""


def write_readme() -> None:
    """docs/effects/README.md: the contact sheet and the generated parameter table."""
    from effects import effects_table_markdown

    text = README_HEAD + effects_table_markdown() + README_TAIL
    (GOLDEN_DIR.parent / "README.md").write_text(text, encoding="utf-8")


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    images = {name: render(name) for name in GOLDEN}
    for name, img in images.items():
        write_png(GOLDEN_DIR / f"{name}.png", img)
    write_png(SHEET, contact_sheet(images))
    write_readme()
    print(f"{len(images)} golden images in {GOLDEN_DIR}, contact sheet {SHEET}")


if __name__ == "__main__":
    main()
