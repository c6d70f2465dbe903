"""The project file's JSON shape (DESIGN.md §4): dict → `Project` with validation, and back.

Parsing is lenient about what may be left out (colour, name, visible, labels) and strict about
what is there: every problem is a `ProjectError` naming the field path (`app.project.validation`).
Fields we do not know are kept in ``extra`` and written back, so files from newer tools or
hand-added notes survive a load/save. Reading and writing files is `app.project.storage`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from app.errors import ProjectError
from app.project.document import (
    Project,
    Prompt,
    TrackedObject,
    default_colour,
    video_reference,
)
from app.project.fingerprint import VideoFingerprint
from app.project.validation import (
    check_effects,
    check_object_fields,
    check_prompt,
    expect,
    fail,
    is_int,
    type_name,
)

__all__ = ["FORMAT_VERSION", "project_from_dict", "project_to_dict", "prompts_hash"]

FORMAT_VERSION = 1

_TOP_KEYS = ("rotokit", "video", "video_fingerprint", "model", "range", "objects", "background")
_OBJECT_KEYS = ("id", "name", "colour", "visible", "prompts", "effects")
_PROMPT_KEYS = ("frame", "points", "labels", "box", "mask_ref")


def prompts_hash(obj: TrackedObject) -> str:
    """A short digest of an object's prompts: masks computed from other prompts are stale."""
    data = [_prompt_to_dict(p, include_extra=False) for p in obj.prompts]
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- parsing


def project_from_dict(data: Any, path: Path | None = None, *, source: str = "project") -> Project:
    """Build a `Project` from parsed JSON, validating every field (errors name the field path)."""
    if not isinstance(data, dict):
        raise ProjectError(
            f"{source}: expected a JSON object at the top level, got {type_name(data)}"
        )
    if "rotokit" not in data:
        raise ProjectError(f'{source}: not a rotokit project (no "rotokit" format number)')
    version = data["rotokit"]
    if not is_int(version) or version < 1:
        raise ProjectError(f"{source}: rotokit: expected a format number ≥ 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise ProjectError(
            f"{source} was written by a newer rotokit (format {version}; this version reads "
            f"{FORMAT_VERSION}): update rotokit to open it"
        )
    try:
        return _parse_project(data, path)
    except ProjectError as exc:
        raise ProjectError(f"{source}: {exc}") from None


def _parse_project(data: dict[str, Any], path: Path | None) -> Project:
    video = data.get("video")
    if not isinstance(video, str) or not video:
        raise fail(
            "video", f"expected the video file path (relative to the project), got {video!r}"
        )
    fingerprint = None
    if data.get("video_fingerprint") is not None:
        fingerprint = VideoFingerprint.from_dict(
            expect(data["video_fingerprint"], dict, "video_fingerprint")
        )
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise fail("model", f"expected a model name, got {type_name(model)}")
    frame_range = None
    if data.get("range") is not None:
        from app.frame_range import FrameRange, RangeError

        try:
            frame_range = FrameRange.from_json(data["range"])
        except RangeError as exc:
            raise ProjectError(str(exc)) from None

    base = path.parent if path is not None else None
    objects_data = expect(data.get("objects", []), list, "objects")
    objects: list[TrackedObject] = []
    seen: dict[int, int] = {}
    for i, obj_data in enumerate(objects_data):
        obj = _parse_object(obj_data, f"objects[{i}]", objects, base)
        if obj.id in seen:
            raise fail(f"objects[{i}].id", f"duplicate id {obj.id} (also objects[{seen[obj.id]}])")
        seen[obj.id] = i
        objects.append(obj)

    background = expect(data.get("background", {}), dict, "background")
    background_effects = check_effects(
        copy.deepcopy(background.get("effects", [])), "background.effects", base
    )
    background_extra = {k: v for k, v in background.items() if k != "effects"}
    extra = {k: v for k, v in data.items() if k not in _TOP_KEYS}
    return Project(
        video=video,
        path=path,
        objects=objects,
        background_effects=background_effects,
        fingerprint=fingerprint,
        model=model,
        frame_range=frame_range,
        extra=copy.deepcopy(extra),
        background_extra=copy.deepcopy(background_extra),
    )


def _parse_object(
    data: Any, where: str, previous: list[TrackedObject], base: Path | None = None
) -> TrackedObject:
    data = expect(data, dict, where)
    if "id" not in data:
        raise fail(f"{where}.id", "missing (each object needs a unique integer id)")
    obj_id = data["id"]
    if not is_int(obj_id) or obj_id < 1:
        raise fail(f"{where}.id", f"expected an integer ≥ 1, got {obj_id!r}")
    name = data.get("name", f"object {obj_id}")
    colour = data.get("colour")
    if colour is None:
        colour = default_colour(previous, obj_id)
    obj = TrackedObject(id=obj_id, name=name, colour=colour, visible=data.get("visible", True))
    check_object_fields(obj, where)
    prompts_data = expect(data.get("prompts", []), list, f"{where}.prompts")
    obj.prompts = [_parse_prompt(p, f"{where}.prompts[{j}]") for j, p in enumerate(prompts_data)]
    obj.effects = check_effects(copy.deepcopy(data.get("effects", [])), f"{where}.effects", base)
    obj.extra = copy.deepcopy({k: v for k, v in data.items() if k not in _OBJECT_KEYS})
    return obj


def _parse_prompt(data: Any, where: str) -> Prompt:
    data = expect(data, dict, where)
    if "frame" not in data:
        raise fail(f"{where}.frame", "missing (the 0-based frame index the prompt is on)")
    prompt = Prompt.__new__(Prompt)  # validate with the field path before __post_init__ would
    prompt.frame = data["frame"]
    prompt.points = copy.deepcopy(data.get("points"))
    prompt.labels = copy.deepcopy(data.get("labels"))
    prompt.box = copy.deepcopy(data.get("box"))
    prompt.mask_ref = data.get("mask_ref")
    prompt.extra = copy.deepcopy({k: v for k, v in data.items() if k not in _PROMPT_KEYS})
    check_prompt(prompt, where)
    return prompt


# --------------------------------------------------------------------------- serialising


def _prompt_to_dict(prompt: Prompt, include_extra: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"frame": prompt.frame}
    if prompt.points is not None:
        out["points"] = copy.deepcopy(prompt.points)
        out["labels"] = list(prompt.labels or [])
    if prompt.box is not None:
        out["box"] = list(prompt.box)
    if prompt.mask_ref is not None:
        out["mask_ref"] = prompt.mask_ref
    if include_extra:
        out.update(copy.deepcopy(prompt.extra))
    return out


def _object_to_dict(obj: TrackedObject) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": obj.id,
        "name": obj.name,
        "colour": obj.colour,
        "visible": obj.visible,
        "prompts": [_prompt_to_dict(p) for p in obj.prompts],
        "effects": copy.deepcopy(obj.effects),
    }
    out.update(copy.deepcopy(obj.extra))
    return out


def project_to_dict(project: Project, path: Path | None = None) -> dict[str, Any]:
    """The file's JSON shape; the video is written relative to `path` (default: project.path)
    when it was relative."""
    target = Path(path).absolute() if path is not None else project.path
    video = project.video
    if (
        target is not None
        and project.path is not None
        and target != project.path
        and not Path(video).is_absolute()
    ):
        video = video_reference(project.video_path, target)
    out: dict[str, Any] = {"rotokit": FORMAT_VERSION, "video": video}
    if project.fingerprint is not None:
        out["video_fingerprint"] = project.fingerprint.to_dict()
    if project.model is not None:
        out["model"] = project.model
    if project.frame_range is not None:
        out["range"] = list(project.frame_range)
    out["objects"] = [_object_to_dict(o) for o in project.objects]
    background: dict[str, Any] = {"effects": copy.deepcopy(project.background_effects)}
    background.update(copy.deepcopy(project.background_extra))
    out["background"] = background
    out.update(copy.deepcopy(project.extra))
    return out
