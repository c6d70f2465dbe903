"""What a dataset export is asked for: frame selection, image encoding, polygons, split, classes.

Plain data plus the three decisions every format shares: one category table from normalised
object names (optionally fixed by a ``classes.txt``), a train/val/test split **by clip** (adjacent
frames are near duplicates, so a split by frame would validate on copies of training frames),
and unique, file-name-safe clip names.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

from app.errors import ExportError

__all__ = [
    "ExportOptions",
    "IMAGE_FORMATS",
    "SPLITS",
    "normalise_name",
    "load_classes",
    "category_table",
    "split_clips",
    "safe_name",
    "unique_names",
]

IMAGE_FORMATS = ("jpg", "png")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ExportOptions:
    """Options of one export; the defaults write every frame that has a label, JPEG quality 95."""

    every: int = 1  # keep one frame in `every` (counted from the range start)
    min_change: float | None = (
        None  # skip a frame whose masks all have IoU > this with the last kept frame
    )
    keep_empty: bool = (
        False  # image formats (coco, yolo): also write frames without any object as negatives
    )
    image_format: str = "jpg"
    quality: int | None = None  # JPEG quality 1–100 (default 95); PNG is lossless
    simplify: float | None = (
        None  # YOLO polygon tolerance in px; None = largest of 2/1/0.5/0 px keeping IoU ≥ 0.98
    )
    val: float = 0.0  # fraction of the clips in the validation split
    test: float = 0.0  # fraction of the clips in the test split
    seed: int = 0  # shuffles the clips before splitting
    classes: str | os.PathLike[str] | None = (
        None  # classes.txt: one name per line fixes ids and order
    )

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ExportError(f"--every {self.every}: must be 1 or more")
        if self.min_change is not None and not 0.0 <= self.min_change <= 1.0:
            raise ExportError(f"--min-change {self.min_change}: must be an IoU between 0 and 1")
        if self.image_format not in IMAGE_FORMATS:
            raise ExportError(
                f"--image-format {self.image_format!r}: choose from {', '.join(IMAGE_FORMATS)}"
            )
        if self.quality is not None:
            if self.image_format != "jpg":
                raise ExportError(
                    f"--quality applies to jpg images; {self.image_format} is lossless"
                )
            if not 1 <= self.quality <= 100:
                raise ExportError(f"--quality {self.quality}: JPEG quality must be 1–100")
        if self.simplify is not None and self.simplify < 0:
            raise ExportError(
                f"--simplify {self.simplify}: must be 0 (exact outline) or more pixels"
            )
        for name, value in (("val", self.val), ("test", self.test)):
            if not 0.0 <= value < 1.0:
                raise ExportError(f"--{name} {value}: must be a fraction of the clips, 0 ≤ F < 1")
        if self.val + self.test >= 1.0:
            raise ExportError(f"--val {self.val} + --test {self.test} leave no clip for training")

    @property
    def jpeg_quality(self) -> int:
        return 95 if self.quality is None else self.quality

    @property
    def has_split(self) -> bool:
        return self.val > 0 or self.test > 0


def normalise_name(name: str) -> str:
    """The category key of an object name: case folded to lower, runs of white space made one
    space."""
    return " ".join(name.split()).lower()


def load_classes(path: str | os.PathLike[str]) -> list[str]:
    """Class names from a classes.txt (one per line, blank lines and `#` comments skipped),
    normalised."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the class list ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path}: the class list is not UTF-8 text") from None
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = normalise_name(line)
        if not name or name.startswith("#"):
            continue
        if name in names:
            raise ExportError(f"{path}: line {number}: class {name!r} is listed twice")
        names.append(name)
    if not names:
        raise ExportError(f"{path}: the class list is empty")
    return names


def category_table(
    object_names: list[tuple[str, str]], classes: str | os.PathLike[str] | None
) -> dict[str, int]:
    """Normalised name → 1-based category id, for `(clip label, object name)` pairs in export order.

    Without a class list, ids follow the first appearance of each name. With one, ids are its
    line order and every object must be in it (a class the data lacks keeps its id).
    """
    if classes is None:
        table: dict[str, int] = {}
        for _, name in object_names:
            table.setdefault(normalise_name(name), len(table) + 1)
        return table
    listed = load_classes(classes)
    table = {name: i for i, name in enumerate(listed, start=1)}
    for where, name in object_names:
        if normalise_name(name) not in table:
            raise ExportError(
                f"{where}: object {name!r} is not in {classes} ({', '.join(listed)}); "
                "add it there or rename the object"
            )
    return table


def split_clips(names: list[str], val: float, test: float, seed: int) -> dict[str, str]:
    """Clip name → "train" | "val" | "test": a seeded shuffle of the sorted names, cut by fraction.

    A split asked for gets at least one clip; sorting first makes the result independent of
    the order the projects were given in.
    """
    order = sorted(names)
    random.Random(seed).shuffle(order)
    counts = {}
    for split, fraction in (("val", val), ("test", test)):
        counts[split] = max(1, round(fraction * len(order))) if fraction > 0 else 0
    if counts["val"] + counts["test"] >= len(order):
        raise ExportError(
            f"--val {val} --test {test} with {len(order)} clip{'s' * (len(order) != 1)} "
            "leaves no clip for "
            "training (the split is by clip); export more clips or drop a split"
        )
    out = {}
    for i, name in enumerate(order):
        if i < counts["val"]:
            out[name] = "val"
        elif i < counts["val"] + counts["test"]:
            out[name] = "test"
        else:
            out[name] = "train"
    return out


def safe_name(text: str) -> str:
    """A file-name-safe version of an object or clip name."""
    cleaned = re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("._")
    return cleaned or "object"


def unique_names(stems: list[str]) -> list[str]:
    """Clip names from file stems, made unique by `_2`, `_3`, ... in order (two clips called
    `take`)."""
    out: list[str] = []
    seen: set[str] = set()
    for stem in stems:
        base = safe_name(stem)
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name.lower())
        out.append(name)
    return out
