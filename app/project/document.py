"""The project document: plain dataclasses for objects, prompts and effect stacks.

The JSON of DESIGN.md §4 is a contract that people and scripts write by hand, so parsing is
lenient about what may be left out (colour, name, visible, labels) and strict about what is
there: every problem is reported as a `ProjectError` naming the field path, e.g.
``objects[0].prompts[1].labels: expected as many labels as points (2), got 1``.
Fields we do not know are kept in ``extra`` and written back, so files from newer tools or
hand-added notes survive a load/save.

Mutations that the GUI should be able to undo go through `app.project.commands`; the
convenience methods on `Project` (``add_object``, ``rename_object``, ...) apply those commands
and return their inverse.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ProjectError
from app.project.events import EventEmitter, ProjectEvent
from app.project.fingerprint import VideoFingerprint
from effects import EffectError, parse_effect

if TYPE_CHECKING:
    from app.frame_range import FrameRange
    from app.project.commands import Command

__all__ = [
    "FORMAT_VERSION",
    "PALETTE",
    "Prompt",
    "TrackedObject",
    "Project",
    "project_from_dict",
    "project_to_dict",
    "prompts_hash",
]

FORMAT_VERSION = 1

# Distinct, colour-blind-friendly-ish object colours (Tableau 10); reused cyclically.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


# --------------------------------------------------------------------------- dataclasses


@dataclass
class Prompt:
    """One user interaction on one frame: clicks (points + labels), a box, and/or a mask file.

    `points` are ``[x, y]`` in displayed-frame pixels, `labels` 1 (object) / 0 (background),
    `box` is ``[x0, y0, x1, y1]``; `mask_ref` is a PNG path relative to the project file.
    """

    frame: int
    points: list[list[float]] | None = None
    labels: list[int] | None = None
    box: list[float] | None = None
    mask_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Callers (GUI clicks, trackers) often hand numpy scalars or tuples: store plain JSON types.
        self.frame = _plain(self.frame)
        self.points = _plain(self.points)
        self.labels = (
            None
            if self.labels is None
            else [int(v) if isinstance(v, bool) else v for v in _plain(self.labels)]
        )
        self.box = _plain(self.box)
        _check_prompt(self, "prompt")


@dataclass
class TrackedObject:
    """An object the user tracks: stable `id` (mask store key), display data, prompts, effects."""

    id: int
    name: str
    colour: str
    visible: bool = True
    prompts: list[Prompt] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Project:
    """A rotokit project: the video it edits, tracked objects (z-order: first = bottom), effects.

    `path` is where the project lives (None until first saved); `video` is the video path as
    written in the file: relative to the project file's folder, or absolute. Use `video_path`
    for the resolved location. `dirty` is True when there are unsaved changes.
    """

    video: str
    path: Path | None = None
    objects: list[TrackedObject] = field(default_factory=list)
    background_effects: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: VideoFingerprint | None = None
    model: str | None = None
    frame_range: FrameRange | None = None  # [start, end) in display-order frames (app.frame_range)
    extra: dict[str, Any] = field(default_factory=dict)
    background_extra: dict[str, Any] = field(default_factory=dict)
    events: EventEmitter = field(default_factory=EventEmitter, repr=False)
    dirty: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path = Path(self.path)
        self.video = os.fspath(self.video)
        self._max_id = max((o.id for o in self.objects), default=0)

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def new(
        cls, video: str | os.PathLike[str], path: str | os.PathLike[str] | None = None
    ) -> Project:
        """A fresh project for `video`; the video is stored relative to `path` when given."""
        video_abs = Path(video).expanduser().absolute()
        project = cls(video=str(video_abs))
        if path is not None:
            project.set_path(path)
        return project

    # ---- lookups ---------------------------------------------------------------------------

    @property
    def video_path(self) -> Path:
        """The video's absolute location (relative paths resolve against the project folder)."""
        video = Path(self.video).expanduser()
        if video.is_absolute() or self.path is None:
            return video.absolute()
        return (self.path.parent / video).absolute()

    def object(self, obj_id: int) -> TrackedObject:
        """The object with id `obj_id`; `KeyError` naming it when absent."""
        for obj in self.objects:
            if obj.id == obj_id:
                return obj
        raise KeyError(f"no object with id {obj_id} in the project")

    def index_of(self, obj_id: int) -> int:
        """Position (z-order) of `obj_id`."""
        for idx, obj in enumerate(self.objects):
            if obj.id == obj_id:
                return idx
        raise KeyError(f"no object with id {obj_id} in the project")

    def effects_of(self, obj_id: int | None) -> list[dict[str, Any]]:
        """Effect stack of an object, or of the background when `obj_id` is None."""
        return self.background_effects if obj_id is None else self.object(obj_id).effects

    def allocate_id(self) -> int:
        """A new object id never used in this session (so masks of a removed object never leak)."""
        self._max_id = max(self._max_id, max((o.id for o in self.objects), default=0)) + 1
        return self._max_id

    def make_object(self, name: str | None = None, colour: str | None = None) -> TrackedObject:
        """A new, not yet inserted object with a fresh id, default name and palette colour."""
        obj_id = self.allocate_id()
        if colour is None:
            used = {o.colour.lower() for o in self.objects}
            free = [c for c in PALETTE if c not in used]
            colour = free[0] if free else PALETTE[(obj_id - 1) % len(PALETTE)]
        obj = TrackedObject(id=obj_id, name=name or f"object {obj_id}", colour=colour)
        _check_object_fields(obj, "object")
        return obj

    # ---- path handling ---------------------------------------------------------------------

    def set_path(self, path: str | os.PathLike[str]) -> None:
        """Move the project to `path` ("save as"): a relative video path is rebased to stay valid."""
        new_path = Path(path).absolute()
        self.video = video_reference(
            self.video_path,
            new_path,
            relative=not Path(self.video).is_absolute() or self.path is None,
        )
        self.path = new_path
        self._emit(ProjectEvent("project_changed", field="path"))

    # ---- command API (undoable; see app.project.commands) ---------------------------------

    def apply(self, command: Command) -> Command:
        """Apply `command` and return its inverse (apply the inverse to undo)."""
        inverse = command.apply(self)
        self.set_dirty(True)
        return inverse

    def add_object(self, name: str | None = None, colour: str | None = None) -> TrackedObject:
        """Create and append a new object (top of the z-order); returns it."""
        from app.project.commands import AddObject

        obj = self.make_object(name, colour)
        self.apply(AddObject(obj))
        return self.object(obj.id)  # the live object (the command inserted a copy)

    def remove_object(self, obj_id: int) -> Command:
        from app.project.commands import RemoveObject

        return self.apply(RemoveObject(obj_id))

    def rename_object(self, obj_id: int, name: str) -> Command:
        from app.project.commands import SetObjectAttr

        return self.apply(SetObjectAttr(obj_id, "name", name))

    def set_colour(self, obj_id: int, colour: str) -> Command:
        from app.project.commands import SetObjectAttr

        return self.apply(SetObjectAttr(obj_id, "colour", colour))

    def set_visible(self, obj_id: int, visible: bool) -> Command:
        from app.project.commands import SetObjectAttr

        return self.apply(SetObjectAttr(obj_id, "visible", visible))

    def add_prompt(self, obj_id: int, prompt: Prompt) -> Command:
        from app.project.commands import AddPrompt

        return self.apply(AddPrompt(obj_id, prompt))

    def remove_prompt(self, obj_id: int, index: int) -> Command:
        from app.project.commands import RemovePrompt

        return self.apply(RemovePrompt(obj_id, index))

    def clear_prompts(self, obj_id: int) -> Command:
        from app.project.commands import SetPrompts

        return self.apply(SetPrompts(obj_id, []))

    def set_effects(self, obj_id: int | None, effects: list[dict[str, Any]]) -> Command:
        from app.project.commands import SetEffects

        return self.apply(SetEffects(obj_id, effects))

    def move_object(self, obj_id: int, new_index: int) -> Command:
        from app.project.commands import MoveObject

        return self.apply(MoveObject(obj_id, new_index))

    # ---- dirty flag / events ---------------------------------------------------------------

    def set_dirty(self, dirty: bool) -> None:
        """Set the unsaved-changes flag, emitting ``dirty_changed`` when it flips."""
        if self.dirty != dirty:
            self.dirty = dirty
            self._emit(ProjectEvent("dirty_changed"))

    def _emit(self, event: ProjectEvent) -> None:
        self.events.emit(event)

    def to_dict(self, path: Path | None = None) -> dict[str, Any]:
        """The JSON-ready dict, with the video path written relative to `path` (default: self.path)."""
        return project_to_dict(self, path)


# --------------------------------------------------------------------------- helpers


def video_reference(video_abs: Path, project_path: Path, *, relative: bool = True) -> str:
    """How to write `video_abs` in a project saved at `project_path`: relative when possible."""
    if relative:
        try:
            return Path(os.path.relpath(video_abs, project_path.absolute().parent)).as_posix()
        except ValueError:  # another drive on Windows
            pass
    return str(video_abs)


def prompts_hash(obj: TrackedObject) -> str:
    """A short digest of an object's prompts: masks computed from other prompts are stale."""
    data = [_prompt_to_dict(p, include_extra=False) for p in obj.prompts]
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and tuples → Python numbers and lists (what JSON can hold)."""
    if (
        value is None
        or isinstance(value, (str, bool, int, float))
        and type(value) in (str, bool, int, float)
    ):
        return value
    if hasattr(value, "tolist"):  # numpy array or scalar
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):  # float subclasses (np.float64)
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number" if _is_number(value) else type(value).__name__)


def _fail(where: str, problem: str) -> ProjectError:
    return ProjectError(f"{where}: {problem}")


def _check_prompt(prompt: Prompt, where: str) -> None:
    if not _is_int(prompt.frame) or prompt.frame < 0:
        raise _fail(f"{where}.frame", f"expected a frame index ≥ 0, got {prompt.frame!r}")
    if prompt.points is not None:
        if not isinstance(prompt.points, list):
            raise _fail(
                f"{where}.points", f"expected a list of [x, y], got {_type_name(prompt.points)}"
            )
        for i, pt in enumerate(prompt.points):
            if not (isinstance(pt, list) and len(pt) == 2 and all(_is_number(v) for v in pt)):
                raise _fail(f"{where}.points[{i}]", f"expected [x, y] numbers, got {pt!r}")
        if prompt.labels is None:
            raise _fail(
                f"{where}.labels", "missing (one label per point: 1 = object, 0 = background)"
            )
    if prompt.labels is not None:
        if prompt.points is None:
            raise _fail(f"{where}.labels", "given without points")
        if not isinstance(prompt.labels, list):
            raise _fail(
                f"{where}.labels", f"expected a list of 0/1, got {_type_name(prompt.labels)}"
            )
        if len(prompt.labels) != len(prompt.points):
            raise _fail(
                f"{where}.labels",
                f"expected as many labels as points ({len(prompt.points)}), got {len(prompt.labels)}",
            )
        for i, lab in enumerate(prompt.labels):
            if not _is_int(lab) or lab not in (0, 1):
                raise _fail(
                    f"{where}.labels[{i}]", f"expected 1 (object) or 0 (background), got {lab!r}"
                )
    if prompt.box is not None:
        box = prompt.box
        if not (isinstance(box, list) and len(box) == 4 and all(_is_number(v) for v in box)):
            raise _fail(f"{where}.box", f"expected [x0, y0, x1, y1] numbers, got {box!r}")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise _fail(f"{where}.box", f"expected x0 < x1 and y0 < y1, got {box!r}")
    if prompt.mask_ref is not None and (
        not isinstance(prompt.mask_ref, str) or not prompt.mask_ref
    ):
        raise _fail(f"{where}.mask_ref", f"expected a file path string, got {prompt.mask_ref!r}")
    if prompt.points is None and prompt.box is None and prompt.mask_ref is None:
        raise _fail(where, "a prompt needs points, a box or a mask_ref")
    if (
        prompt.points is not None
        and not prompt.points
        and prompt.box is None
        and prompt.mask_ref is None
    ):
        raise _fail(
            f"{where}.points", "empty (a prompt needs at least one point, a box or a mask_ref)"
        )


def _check_object_fields(obj: TrackedObject, where: str) -> None:
    if not _is_int(obj.id) or obj.id < 1:
        raise _fail(f"{where}.id", f"expected an integer ≥ 1, got {obj.id!r}")
    if not isinstance(obj.name, str) or not obj.name.strip():
        raise _fail(f"{where}.name", f"expected a non-empty string, got {obj.name!r}")
    if not isinstance(obj.colour, str) or not _COLOUR_RE.match(obj.colour):
        raise _fail(f"{where}.colour", f'expected "#rrggbb", got {obj.colour!r}')
    if not isinstance(obj.visible, bool):
        raise _fail(f"{where}.visible", f"expected true or false, got {obj.visible!r}")


def check_effects(effects: Any, where: str, base: Path | None = None) -> list[dict[str, Any]]:
    """Validate an effect stack (list of effect dicts); returns it unchanged.

    `base` is the project's folder: relative image paths in effects are relative to it.
    """
    if not isinstance(effects, list):
        raise _fail(where, f"expected a list of effects, got {_type_name(effects)}")
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

    spec = EFFECT_TYPES.get(effect.get("type"))  # type: ignore[arg-type]
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
        raise _fail(
            where, f'expected an effect object like {{"type": "blur"}}, got {_type_name(effect)}'
        )
    if not isinstance(effect.get("type"), str) or not effect["type"]:
        raise _fail(f"{where}.type", f"expected an effect type name, got {effect.get('type')!r}")
    try:
        parse_effect(effect_with_project_paths(effect, base))  # the engine knows each type
    except EffectError as exc:
        raise _fail(where, str(exc)) from None


# --------------------------------------------------------------------------- parsing


_TOP_KEYS = ("rotokit", "video", "video_fingerprint", "model", "range", "objects", "background")
_OBJECT_KEYS = ("id", "name", "colour", "visible", "prompts", "effects")
_PROMPT_KEYS = ("frame", "points", "labels", "box", "mask_ref")


def _expect(data: Any, kind: type, where: str) -> Any:
    if not isinstance(data, kind) or isinstance(data, bool) and kind is not bool:
        expected = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}[kind]
        raise _fail(where, f"expected {expected}, got {_type_name(data)}")
    return data


def project_from_dict(data: Any, path: Path | None = None, *, source: str = "project") -> Project:
    """Build a `Project` from parsed JSON, validating every field (errors name the field path)."""
    if not isinstance(data, dict):
        raise ProjectError(
            f"{source}: expected a JSON object at the top level, got {_type_name(data)}"
        )
    if "rotokit" not in data:
        raise ProjectError(f'{source}: not a rotokit project (no "rotokit" format number)')
    version = data["rotokit"]
    if not _is_int(version) or version < 1:
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
        raise _fail(
            "video", f"expected the video file path (relative to the project), got {video!r}"
        )
    fingerprint = None
    if data.get("video_fingerprint") is not None:
        fingerprint = VideoFingerprint.from_dict(
            _expect(data["video_fingerprint"], dict, "video_fingerprint")
        )
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise _fail("model", f"expected a model name, got {_type_name(model)}")
    frame_range = None
    if data.get("range") is not None:
        from app.frame_range import FrameRange, RangeError

        try:
            frame_range = FrameRange.from_json(data["range"])
        except RangeError as exc:
            raise ProjectError(str(exc)) from None

    objects_data = _expect(data.get("objects", []), list, "objects")
    objects: list[TrackedObject] = []
    seen: dict[int, int] = {}
    for i, obj_data in enumerate(objects_data):
        obj = _parse_object(
            obj_data, f"objects[{i}]", objects, path.parent if path is not None else None
        )
        if obj.id in seen:
            raise _fail(f"objects[{i}].id", f"duplicate id {obj.id} (also objects[{seen[obj.id]}])")
        seen[obj.id] = i
        objects.append(obj)

    background = _expect(data.get("background", {}), dict, "background")
    base = path.parent if path is not None else None
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
    data = _expect(data, dict, where)
    if "id" not in data:
        raise _fail(f"{where}.id", "missing (each object needs a unique integer id)")
    obj_id = data["id"]
    if not _is_int(obj_id) or obj_id < 1:
        raise _fail(f"{where}.id", f"expected an integer ≥ 1, got {obj_id!r}")
    name = data.get("name", f"object {obj_id}")
    colour = data.get("colour")
    if colour is None:
        used = {o.colour.lower() for o in previous}
        free = [c for c in PALETTE if c not in used]
        colour = free[0] if free else PALETTE[(obj_id - 1) % len(PALETTE)]
    obj = TrackedObject(id=obj_id, name=name, colour=colour, visible=data.get("visible", True))
    _check_object_fields(obj, where)
    prompts_data = _expect(data.get("prompts", []), list, f"{where}.prompts")
    obj.prompts = [_parse_prompt(p, f"{where}.prompts[{j}]") for j, p in enumerate(prompts_data)]
    obj.effects = check_effects(copy.deepcopy(data.get("effects", [])), f"{where}.effects", base)
    obj.extra = copy.deepcopy({k: v for k, v in data.items() if k not in _OBJECT_KEYS})
    return obj


def _parse_prompt(data: Any, where: str) -> Prompt:
    data = _expect(data, dict, where)
    if "frame" not in data:
        raise _fail(f"{where}.frame", "missing (the 0-based frame index the prompt is on)")
    prompt = Prompt.__new__(Prompt)  # validate with the field path before __post_init__ would
    prompt.frame = data["frame"]
    prompt.points = copy.deepcopy(data.get("points"))
    prompt.labels = copy.deepcopy(data.get("labels"))
    prompt.box = copy.deepcopy(data.get("box"))
    prompt.mask_ref = data.get("mask_ref")
    prompt.extra = copy.deepcopy({k: v for k, v in data.items() if k not in _PROMPT_KEYS})
    _check_prompt(prompt, where)
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
    """The file's JSON shape; the video is written relative to `path` when it was relative."""
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
