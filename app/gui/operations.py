"""GUI operations as small named functions (Anki's ``operations/``): the window stays thin.

Edits go through the project's command API onto the undo stack. Long jobs return a
`JobBuilder` (Anki's ``CollectionOp``): the caller adds its callbacks and calls ``launch()``.
Nothing here touches a widget from a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QUndoStack

from app.errors import ProjectError
from app.gui.document import EditorDocument
from app.gui.export_dialog import ExportRequest
from app.gui.jobs import JobBuilder
from app.gui.undo import push
from app.gui.workers import JobRunner
from app.project import (
    AddObject,
    Batch,
    MoveObject,
    Prompt,
    RemoveObject,
    SetEffects,
    SetObjectAttr,
)

if TYPE_CHECKING:
    from app.face_search import FaceSearch

__all__ = [
    "add_object",
    "remove_object",
    "rename_object",
    "set_colour",
    "set_visible",
    "move_object",
    "set_effects",
    "add_point",
    "add_box",
    "snapshot_project",
    "export_job",
    "find_faces_job",
    "face_masks_job",
]


def _project(document: EditorDocument):
    if document.project is None:
        raise ProjectError("no project is open: open a video or a .rotokit project first")
    return document.project


# -- document edits (undoable) ---------------------------------------------------------------
def add_object(*, document: EditorDocument, stack: QUndoStack, name: str | None = None) -> int:
    project = _project(document)
    obj = project.make_object(name)
    push(stack, project, AddObject(obj))
    return obj.id


def remove_object(*, document: EditorDocument, stack: QUndoStack, obj_id: int) -> None:
    push(stack, _project(document), RemoveObject(obj_id))


def rename_object(*, document: EditorDocument, stack: QUndoStack, obj_id: int, name: str) -> None:
    push(stack, _project(document), SetObjectAttr(obj_id, "name", name))


def set_colour(*, document: EditorDocument, stack: QUndoStack, obj_id: int, colour: str) -> None:
    push(stack, _project(document), SetObjectAttr(obj_id, "colour", colour))


def set_visible(*, document: EditorDocument, stack: QUndoStack, obj_id: int, visible: bool) -> None:
    push(stack, _project(document), SetObjectAttr(obj_id, "visible", visible))


def move_object(*, document: EditorDocument, stack: QUndoStack, obj_id: int, delta: int) -> None:
    project = _project(document)
    new = project.index_of(obj_id) + delta
    if 0 <= new < len(project.objects):
        push(stack, project, MoveObject(obj_id, new))


def set_effects(
    *,
    document: EditorDocument,
    stack: QUndoStack,
    obj_id: int | None,
    effects: list[dict[str, Any]],
    merge_key: object | None = None,
) -> None:
    """Replace a stack; invalid parameters raise ``ProjectError``/``EffectError`` before any
    change."""
    push(stack, _project(document), SetEffects(obj_id, effects), merge_key)


def add_point(
    *,
    document: EditorDocument,
    stack: QUndoStack,
    obj_id: int,
    frame_idx: int,
    x: float,
    y: float,
    label: int,
) -> None:
    """One click = one prompt entry, so Ctrl+Z removes exactly that click."""
    prompt = Prompt(frame=frame_idx, points=[[round(x, 1), round(y, 1)]], labels=[int(label)])
    push(stack, _project(document), _add_prompt(document, obj_id, prompt))


def add_box(
    *,
    document: EditorDocument,
    stack: QUndoStack,
    obj_id: int,
    frame_idx: int,
    box: tuple[float, float, float, float],
) -> None:
    prompt = Prompt(frame=frame_idx, box=[round(v, 1) for v in box])
    push(stack, _project(document), _add_prompt(document, obj_id, prompt))


def _add_prompt(document: EditorDocument, obj_id: int, prompt: Prompt):
    from app.project import AddPrompt

    return AddPrompt(obj_id, prompt)


# -- long jobs -------------------------------------------------------------------------------
def snapshot_project(document: EditorDocument):
    """A detached copy for a worker (the GUI may keep editing the live one)."""
    from app.project import project_from_dict, project_to_dict

    project = _project(document)
    copy = project_from_dict(project_to_dict(project), project.path)
    copy.fingerprint = project.fingerprint
    return copy


def export_job(
    *, document: EditorDocument, runner: JobRunner, request: ExportRequest, model: str
) -> JobBuilder[str]:
    """Render the video or write the dataset; the job yields the result summary (str)."""
    project = snapshot_project(document)
    if project.path is None:
        raise ProjectError(
            "save the project first (File ▸ Save As): its masks are stored beside it"
        )

    def job(cancel: threading.Event, progress: Callable[[int, int], None]) -> Iterator[str]:
        from app.project import MaskStore, masks_path_for

        if request.kind == "video":
            from app.render import render

            result = render(
                project,
                request.output,
                codec=request.codec,
                crf=request.crf,
                preset=request.preset,
                model=model,
                offline=True,
                frame_range=request.frame_range,
                on_progress=progress,
                cancel=cancel,
            )
            yield result.summary()
        else:
            from app.export import export_dataset

            with MaskStore(masks_path_for(project.path), readonly=True) as store:
                out = export_dataset(
                    project,
                    store,
                    request.fmt,
                    request.output,
                    frame_range=request.frame_range,
                    allow_stale=True,
                    on_progress=progress,
                    cancel=cancel,
                )
            yield f"wrote {request.fmt} dataset to {out}"

    return JobBuilder(runner, job, name="export")


def find_faces_job(*, document: EditorDocument, runner: JobRunner) -> JobBuilder[FaceSearch]:
    """Find each person's face track (offline, no SAM 2) with the one face finder
    (`app.face_search.find_face_tracks`, the keyframe scan ``rotokit anonymize`` uses)."""
    video = _project(document).video_path

    def job(cancel: threading.Event, progress: Callable[[int, int], None]) -> Iterator[FaceSearch]:
        from app.face_search import find_face_tracks

        yield find_face_tracks(video, on_progress=progress, cancel=cancel)

    return JobBuilder(runner, job, name="faces")


def face_masks_job(
    *,
    document: EditorDocument,
    stack: QUndoStack,
    runner: JobRunner,
    result: FaceSearch,
    external_ids: set[int],
) -> JobBuilder[tuple[int, list[int]]] | None:
    """One object "face N" per track with a blur effect (one undo step) and the job that writes
    their oval masks (it yields ``(frame_idx, obj_ids)`` per frame written); None: no faces."""
    from app.anonymize import face_effects, face_project, oval_mask
    from app.project import prompts_hash

    project = _project(document)
    store = document.store
    if not result.tracks or store is None:
        return None
    faces = face_project(project.video_path, result.tracks, face_effects("blur"), fps=result.fps)
    added = []
    for face, track in zip(faces.objects, result.tracks, strict=True):
        obj = project.make_object(face.name)
        obj.effects, obj.prompts, obj.extra = face.effects, face.prompts, face.extra
        added.append((obj, track))
    external_ids.update(o.id for o, _ in added)  # their masks are the detector's ovals, not SAM 2's
    push(stack, project, Batch(tuple(AddObject(o) for o, _ in added), f"find {len(added)} face(s)"))
    boxes = [(o.id, dict(t.boxes), dict(t.scores), prompts_hash(o)) for o, t in added]

    def job(
        cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, list[int]]]:
        by_frame: dict[int, dict[int, tuple[np.ndarray, float | None]]] = {}
        for oid, bx, scores, _h in boxes:
            for f, box in bx.items():
                by_frame.setdefault(f, {})[oid] = (oval_mask(box, result.shape), scores.get(f))
        for k, f in enumerate(sorted(by_frame)):
            store.put_many(f, by_frame[f])
            progress(k + 1, len(by_frame))
            yield f, sorted(by_frame[f])
        for oid, _bx, _s, h in boxes:
            store.set_prompts_hash(oid, h, model="faces")

    return JobBuilder(runner, job, name="face-masks")
