"""The project document: plain dataclasses for objects, prompts and effect stacks.

`Project` holds what DESIGN.md §4 describes and tells views what changed through
``project.events`` (typed psygnal signals, `app.project.events`). Edits the GUI can undo are
`Command` values (the concrete ones are in `app.project.commands`, one-call helpers in
`app.project.edits`) applied with `Project.apply`, which returns the inverse. The checks live in
`app.project.validation`, the JSON shape in `app.project.codec`; this module imports neither
the commands nor the codec, so both can import it.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.project.events import ProjectEvents
from app.project.fingerprint import VideoFingerprint
from app.project.validation import check_object_fields, check_prompt

if TYPE_CHECKING:
    from app.frame_range import FrameRange

__all__ = [
    "PALETTE",
    "Command",
    "Prompt",
    "TrackedObject",
    "Project",
    "default_colour",
    "video_reference",
]

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


class Command(ABC):
    """Base of all edits: `apply` changes the project and returns the command that undoes it.

    Concrete commands (`app.project.commands`) are immutable values; an invalid edit raises
    `ProjectError` before anything changes.
    """

    @property
    @abstractmethod
    def text(self) -> str:
        """Short label for an Undo/Redo menu entry."""

    @abstractmethod
    def apply(self, project: Project) -> Command:
        """Change `project`; return the command that undoes this change."""


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
        check_prompt(self, "prompt")


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
    events: ProjectEvents = field(default_factory=ProjectEvents, repr=False)
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

    # ---- ids ---------------------------------------------------------------------------------

    def allocate_id(self) -> int:
        """A new object id never used in this session (so masks of a removed object never leak)."""
        self._max_id = max(self._max_id, max((o.id for o in self.objects), default=0)) + 1
        return self._max_id

    def reserve_id(self, obj_id: int) -> None:
        """Never hand out `obj_id` again: an object with this id is (re)inserted or restored."""
        self._max_id = max(self._max_id, obj_id)

    def make_object(self, name: str | None = None, colour: str | None = None) -> TrackedObject:
        """A new, not yet inserted object with a fresh id, default name and palette colour."""
        obj_id = self.allocate_id()
        if colour is None:
            colour = default_colour(self.objects, obj_id)
        obj = TrackedObject(id=obj_id, name=name or f"object {obj_id}", colour=colour)
        check_object_fields(obj, "object")
        return obj

    # ---- path handling ---------------------------------------------------------------------

    def set_path(self, path: str | os.PathLike[str]) -> None:
        """Move the project to `path` ("save as"): a relative video path is rebased so it still
        resolves."""
        new_path = Path(path).absolute()
        self.video = video_reference(
            self.video_path,
            new_path,
            relative=not Path(self.video).is_absolute() or self.path is None,
        )
        self.path = new_path
        self.events.project_changed.emit("path")

    # ---- edits and the dirty flag -----------------------------------------------------------

    def apply(self, command: Command) -> Command:
        """Apply `command` and return its inverse (apply the inverse to undo)."""
        inverse = command.apply(self)
        self.set_dirty(True)
        return inverse

    def set_dirty(self, dirty: bool) -> None:
        """Set the unsaved-changes flag, emitting ``dirty_changed`` when it flips."""
        if self.dirty != dirty:
            self.dirty = dirty
            self.events.dirty_changed.emit(dirty)


def default_colour(objects: Iterable[TrackedObject], obj_id: int) -> str:
    """The first palette colour no object uses, else the palette cycled by id."""
    used = {o.colour.lower() for o in objects}
    free = [c for c in PALETTE if c not in used]
    return free[0] if free else PALETTE[(obj_id - 1) % len(PALETTE)]


def video_reference(video_abs: Path, project_path: Path, *, relative: bool = True) -> str:
    """How to write `video_abs` in a project saved at `project_path`: relative when possible."""
    if relative:
        try:
            return Path(os.path.relpath(video_abs, project_path.absolute().parent)).as_posix()
        except ValueError:  # another drive on Windows
            pass
    return str(video_abs)


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
