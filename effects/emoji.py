"""The bundled emoji set (OpenMoji, CC BY-SA 4.0) and user PNG overlays, loaded as RGBA arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from effects.errors import EffectError

EMOJI_DIR = Path(__file__).resolve().parents[1] / "resources" / "emoji"
_VS16 = "\ufe0f"  # emoji presentation selector: "❤️" and "❤" are the same emoji


@dataclass(frozen=True)
class EmojiInfo:
    """One bundled emoji: its character, short name and PNG file."""

    char: str
    name: str
    path: Path
    annotation: str


@lru_cache(maxsize=1)
def list_emoji() -> list[EmojiInfo]:
    """Every bundled emoji, in the curated order of ``resources/emoji/index.json``."""
    index = json.loads((EMOJI_DIR / "index.json").read_text(encoding="utf-8"))
    return [
        EmojiInfo(e["emoji"], e["name"], EMOJI_DIR / e["file"], e["annotation"])
        for e in index["emoji"]
    ]


@lru_cache(maxsize=1)
def _lookup() -> dict[str, EmojiInfo]:
    table: dict[str, EmojiInfo] = {}
    for e in list_emoji():
        table[e.char.replace(_VS16, "")] = e
        table[e.name.lower()] = e
    return table


def is_bundled_emoji(key: str) -> bool:
    """True for a bundled emoji character or name (not a file path)."""
    return key.replace(_VS16, "").strip().lower() in _lookup()


def resolve_emoji(key: str) -> Path | None:
    """PNG path for an emoji character, a bundled name, or an existing image file; else None."""
    e = _lookup().get(key.replace(_VS16, "").strip().lower())
    if e is not None:
        return e.path
    p = Path(key).expanduser()
    if p.suffix.lower() in (".png", ".webp", ".jpg", ".jpeg") and p.is_file():
        return p
    return None


def load_emoji(key: str) -> np.ndarray:
    """The emoji (character or name) or image file (PNG with alpha) as H×W×4 uint8 RGBA.

    Cached: the same key returns the same read-only array.

    Raises
    ------
    EffectError
        The key is neither a bundled emoji nor a readable image file.
    """
    path = resolve_emoji(key)
    if path is None:
        raise EffectError(
            f'emoji "{key}": not a bundled emoji and not an existing image file',
            effect="emoji",
            param="emoji",
        )
    return _load_rgba(str(path.resolve()))


#: largest effect image (emoji PNG, replacement background) in pixels: 40 MP, e.g. 8000×5000
#: (an 8K UHD frame fits). A 1.6 MB PNG can declare 20000×20000 and decode to 1.6 GB RGBA.
MAX_IMAGE_PIXELS = 40_000_000


def image_size_problem(path: str | Path) -> str | None:
    """Why the image at `path` may not be used (too large, unreadable), from its header only
    (Pillow opens lazily, nothing is decoded); None when it is fine."""
    import re

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            width, height = im.size
    except Image.DecompressionBombError as exc:  # Pillow's own limit is above ours
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found[1]) / 1e6:.0f} megapixels" if found else "too many pixels"
        return f"image is {size}, {_LIMIT_TEXT}"
    except (UnidentifiedImageError, OSError, ValueError):
        return "cannot read this image (not a PNG, JPEG or WebP file?)"
    if width * height > MAX_IMAGE_PIXELS:
        return f"image is {width}×{height}, {_LIMIT_TEXT}"
    return None


_LIMIT_TEXT = (
    f"over the limit of {MAX_IMAGE_PIXELS // 1_000_000} megapixels for effect "
    "images (e.g. 8000×5000); scale it down"
)


def check_image_size(path: str, *, effect: str = "emoji", param: str = "emoji") -> None:
    """`EffectError` naming the file when `image_size_problem` finds one; before any decode."""
    problem = image_size_problem(path)
    if problem is not None:
        raise EffectError(f"{path}: {problem}", effect=effect, param=param)


@lru_cache(maxsize=64)
def _load_rgba(path: str) -> np.ndarray:
    check_image_size(path)
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise EffectError(f"{path}: cannot read this image", effect="emoji", param="emoji")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
    elif img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    if img.dtype != np.uint8:  # 16-bit PNGs
        img = (img / 257).astype(np.uint8)
    rgba = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    rgba.setflags(write=False)
    return rgba


def load_image_rgb(path: str, *, effect: str, param: str) -> np.ndarray:
    """An image file as H×W×3 uint8 RGB (for background replacement), cached."""
    try:
        return _load_rgb(str(Path(path).expanduser().resolve()))
    except EffectError as exc:
        raise EffectError(
            f'effect "{effect}": parameter "{param}": {exc}', effect=effect, param=param
        ) from None


@lru_cache(maxsize=8)
def _load_rgb(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise EffectError(f"{path}: missing or not an image")
    check_image_size(path, effect="replace", param="image")
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise EffectError(f"{path}: missing or not an image")
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    rgb.setflags(write=False)
    return rgb
