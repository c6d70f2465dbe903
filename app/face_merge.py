"""Re-running `rotokit anonymize` keeps what the person decided in the face project.

Why: ``anonymize b.mp4 -o safe.mp4`` writes ``safe.rotokit`` so a person can untick people
who consented, rename them or change their effect. Running the same command again (a new
threshold, a re-encode) used to replace that file silently. Now each face of the new run is
matched to a face of the existing project by where it is (mean box IoU on the frames the old
project has prompts for, one-to-one, at least `MATCH_IOU`); a matched face inherits the
person's name, visibility and edited effects, so the new video honours them too. When the old
project cannot be read, belongs to another video, or holds choices that match no face now
(another person, a hand-added object), the run stops before writing anything and names
``--force``, which replaces the project. Nothing is ever dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import ProjectError, RotokitError
from app.project import Project, TrackedObject, fingerprint_video, load_project
from model.faces import FaceTrack

__all__ = ["MATCH_IOU", "MergeReport", "load_previous", "merge_choices"]

#: mean IoU a new face's boxes must reach against an old face's prompt boxes to be that person
MATCH_IOU = 0.5
_DEFAULT_NAME = re.compile(r"^face \d+$")


@dataclass
class MergeReport:
    """What was carried over from the existing face project."""

    kept: list[str] = field(default_factory=list)  # names of the people whose choices were kept
    shown: int = 0  # of those, faces the person chose to leave visible (visible false / no effect)

    def summary(self) -> str:
        if not self.kept:
            return ""
        shown = f", {self.shown} left unhidden by choice" if self.shown else ""
        return f"kept the choices for {len(self.kept)} person(s) from the existing project{shown}"


def _force_hint(path: Path) -> str:
    return f"pass --force to replace {path.name} (or --project to write the new one elsewhere)"


def load_previous(
    path: Path, video: Path, face_effect_stacks: Sequence[list[dict[str, Any]]]
) -> Project | None:
    """The existing face project at `path`, or None; refuses what cannot be merged."""
    if not path.exists():
        return None
    try:
        old = load_project(path)
    except ProjectError as exc:
        raise RotokitError(
            f"{exc}; it may hold your choices, so it was not replaced: {_force_hint(path)}"
        ) from None
    if old.video_path.resolve() != video.resolve():
        raise RotokitError(
            f"{path}: an existing project for another video ({old.video_path}); {_force_hint(path)}"
        )
    if old.fingerprint is not None:
        changed = old.fingerprint.differences(fingerprint_video(video))
        if changed:  # the same name, other footage: its people are not these people
            raise RotokitError(
                f"{path}: made on a different version of {video.name} "
                f"({', '.join(changed)}); {_force_hint(path)}"
            )
    foreign = [
        o.name
        for o in old.objects
        if "face_track" not in o.extra and _edited(o, face_effect_stacks)
    ]
    if foreign:
        raise RotokitError(
            f"{path}: has objects anonymize did not make ({', '.join(foreign)}); "
            f"{_force_hint(path)}"
        )
    return old


def _edited(obj: TrackedObject, face_effect_stacks: Sequence[list[dict[str, Any]]]) -> bool:
    return (
        not _DEFAULT_NAME.match(obj.name)
        or not obj.visible
        or obj.effects not in face_effect_stacks
        or "face_track" not in obj.extra
    )


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _score(old: TrackedObject, track: FaceTrack) -> float:
    boxes = [(p.frame, p.box) for p in old.prompts if p.box is not None]
    if not boxes:
        return 0.0
    return sum(_iou(box, track.boxes[f]) if f in track.boxes else 0.0 for f, box in boxes) / len(
        boxes
    )


def merge_choices(
    project: Project,
    tracks: Sequence[FaceTrack],
    old: Project,
    face_effect_stacks: Sequence[list[dict[str, Any]]],
) -> MergeReport:
    """Give each new face object the choices of the old face it matches (in place).

    Raises `RotokitError` naming ``--force`` when an edited old face matches no new face.
    """
    pairs = sorted(
        (
            (s, i, j)
            for i, o in enumerate(old.objects)
            for j, t in enumerate(tracks)
            if (s := _score(o, t)) >= MATCH_IOU
        ),
        reverse=True,
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    report = MergeReport()
    for _, i, j in pairs:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        before, after = old.objects[i], project.objects[j]
        if not _edited(before, face_effect_stacks):
            continue  # nothing chosen: the new run's defaults (e.g. a new --effect) apply
        after.name = before.name
        after.visible = before.visible
        if before.effects not in face_effect_stacks:
            after.effects = [dict(e) for e in before.effects]
        report.kept.append(after.name)
        if not after.visible or not after.effects:
            report.shown += 1
    lost = [
        o.name
        for i, o in enumerate(old.objects)
        if i not in used_old and _edited(o, face_effect_stacks)
    ]
    if lost:
        path = old.path or Path("the project")
        raise RotokitError(
            f"{path}: your choices for {', '.join(lost)} match no face found this time, so "
            f"they would be lost; {_force_hint(path)}"
        )
    return report
