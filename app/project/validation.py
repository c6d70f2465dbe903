"""Validation of the project document: every problem is a `ProjectError` naming the field path.

The JSON of DESIGN.md §4 is written by people and scripts, so a message says where and what,
e.g. ``objects[0].prompts[1].labels: expected as many labels as points (2), got 1``. The same
checks guard the command API (an edit is refused before anything changes) and the dataclasses.

The checks take the fields they read (`PromptFields`, `ObjectFields`), not the dataclasses, so
this module sits below `app.project.document` and both it and the codec and commands import it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Protocol

from app.errors import ProjectError
from effects import EffectError, parse_effect

__all__ = [
    "PromptFields",
    "ObjectFields",
    "is_int",
    "is_number",
    "type_name",
    "fail",
    "expect",
    "check_prompt",
    "check_object_fields",
    "check_effects",
    "effect_with_project_paths",
]

_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class PromptFields(Protocol):
    """What `check_prompt` reads (a `Prompt`, or one being parsed)."""

    frame: int
    points: list[list[float]] | None
    labels: list[int] | None
    box: list[float] | None
    mask_ref: str | None


class ObjectFields(Protocol):
    """What `check_object_fields` reads (a `TrackedObject`)."""

    id: int
    name: str
    colour: str
    visible: bool


def is_number(value: object) -> bool:
    """A finite int or float (booleans are not numbers in the file)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: object) -> bool:
    """An int that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def type_name(value: object) -> str:
    """How a message names the JSON type of `value` ("a list", "null", ...)."""
    names: dict[type, str] = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), "a number" if is_number(value) else type(value).__name__)


def fail(where: str, problem: str) -> ProjectError:
    """The error for `problem` at field path `where`."""
    return ProjectError(f"{where}: {problem}")


def expect(data: Any, kind: type, where: str) -> Any:
    """`data` when it is of JSON type `kind` (dict, list, str, bool), else a `ProjectError`."""
    if not isinstance(data, kind) or isinstance(data, bool) and kind is not bool:
        expected = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}[kind]
        raise fail(where, f"expected {expected}, got {type_name(data)}")
    return data


def check_prompt(prompt: PromptFields, where: str) -> None:
    """Refuse a prompt the tracker could not use (bad frame, points without labels, ...)."""
    if not is_int(prompt.frame) or prompt.frame < 0:
        raise fail(f"{where}.frame", f"expected a frame index ≥ 0, got {prompt.frame!r}")
    if prompt.points is not None:
        _check_points(prompt.points, prompt.labels, where)
    if prompt.labels is not None:
        _check_labels(prompt.labels, prompt.points, where)
    if prompt.box is not None:
        box = prompt.box
        if not (isinstance(box, list) and len(box) == 4 and all(is_number(v) for v in box)):
            raise fail(f"{where}.box", f"expected [x0, y0, x1, y1] numbers, got {box!r}")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise fail(f"{where}.box", f"expected x0 < x1 and y0 < y1, got {box!r}")
    if prompt.mask_ref is not None and (
        not isinstance(prompt.mask_ref, str) or not prompt.mask_ref
    ):
        raise fail(f"{where}.mask_ref", f"expected a file path string, got {prompt.mask_ref!r}")
    if prompt.points is None and prompt.box is None and prompt.mask_ref is None:
        raise fail(where, "a prompt needs points, a box or a mask_ref")
    if (
        prompt.points is not None
        and not prompt.points
        and prompt.box is None
        and prompt.mask_ref is None
    ):
        raise fail(
            f"{where}.points", "empty (a prompt needs at least one point, a box or a mask_ref)"
        )


def _check_points(points: object, labels: object, where: str) -> None:
    if not isinstance(points, list):
        raise fail(f"{where}.points", f"expected a list of [x, y], got {type_name(points)}")
    for i, pt in enumerate(points):
        if not (isinstance(pt, list) and len(pt) == 2 and all(is_number(v) for v in pt)):
            raise fail(f"{where}.points[{i}]", f"expected [x, y] numbers, got {pt!r}")
    if labels is None:
        raise fail(f"{where}.labels", "missing (one label per point: 1 = object, 0 = background)")


def _check_labels(labels: object, points: object, where: str) -> None:
    if points is None:
        raise fail(f"{where}.labels", "given without points")
    if not isinstance(labels, list):
        raise fail(f"{where}.labels", f"expected a list of 0/1, got {type_name(labels)}")
    assert isinstance(points, list)  # checked by _check_points first
    if len(labels) != len(points):
        raise fail(
            f"{where}.labels",
            f"expected as many labels as points ({len(points)}), got {len(labels)}",
        )
    for i, lab in enumerate(labels):
        if not is_int(lab) or lab not in (0, 1):
            raise fail(
                f"{where}.labels[{i}]", f"expected 1 (object) or 0 (background), got {lab!r}"
            )


def check_object_fields(obj: ObjectFields, where: str) -> None:
    """Refuse a bad id, an empty name, a colour that is not ``#rrggbb`` or a non-bool visible."""
    if not is_int(obj.id) or obj.id < 1:
        raise fail(f"{where}.id", f"expected an integer ≥ 1, got {obj.id!r}")
    if not isinstance(obj.name, str) or not obj.name.strip():
        raise fail(f"{where}.name", f"expected a non-empty string, got {obj.name!r}")
    if not isinstance(obj.colour, str) or not _COLOUR_RE.match(obj.colour):
        raise fail(f"{where}.colour", f'expected "#rrggbb", got {obj.colour!r}')
    if not isinstance(obj.visible, bool):
        raise fail(f"{where}.visible", f"expected true or false, got {obj.visible!r}")


def check_effects(effects: Any, where: str, base: Path | None = None) -> list[dict[str, Any]]:
    """Validate an effect stack (list of effect dicts); returns it unchanged.

    `base` is the project's folder: relative image paths in effects are relative to it.
    """
    if not isinstance(effects, list):
        raise fail(where, f"expected a list of effects, got {type_name(effects)}")
    for i, eff in enumerate(effects):
        _check_effect(eff, f"{where}[{i}]", base)
    return effects


def effect_with_project_paths(effect: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """The effect with relative image paths (emoji PNG, replace image) made absolute against the
    project folder, like its video, so a project folder can be moved; bundled emoji names and
    absolute paths stay as they are."""
    from effects import EFFECT_TYPES
    from effects.catalog import all_params
    from effects.emoji import is_bundled_emoji

    effect_type = effect.get("type")
    spec = EFFECT_TYPES.get(effect_type) if isinstance(effect_type, str) else None
    if spec is None or base is None:
        return effect
    out = dict(effect)
    for param in all_params(spec):
        value = out.get(param.name)
        if param.kind in ("path", "emoji") and isinstance(value, str) and value:
            if param.kind == "emoji" and is_bundled_emoji(value):
                continue
            path = Path(value).expanduser()
            if not path.is_absolute():
                # only ever the project folder: a missing file is reported there, never found
                # by accident in whatever folder the command happens to run from
                out[param.name] = str(base / path)
    return out


def _check_effect(effect: Any, where: str, base: Path | None = None) -> None:
    if not isinstance(effect, dict):
        raise fail(
            where, f'expected an effect object like {{"type": "blur"}}, got {type_name(effect)}'
        )
    if not isinstance(effect.get("type"), str) or not effect["type"]:
        raise fail(f"{where}.type", f"expected an effect type name, got {effect.get('type')!r}")
    try:
        parse_effect(effect_with_project_paths(effect, base))  # the engine knows each type
    except EffectError as exc:
        raise fail(where, str(exc)) from None
