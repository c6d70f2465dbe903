"""The project document (objects, prompts, effect stacks), its file format and the mask store.

No Qt here: the GUI wraps the command API (`app.project.commands`) in its undo stack and
listens to the document's typed signals (``project.events``, `app.project.events`).

Modules, each importing only those listed before it: ``validation`` (field checks), ``events``
(psygnal signals), ``fingerprint`` (video identity record), ``document`` (the dataclasses and
`Command` base), ``codec`` (JSON ↔ document), ``commands`` (undoable edits), ``edits`` (one-call
helpers), ``storage`` (files), ``video_check`` (is this the project's video), and the mask
store: ``rle``, ``spans``, ``store_file``, ``store_records``, ``masks``.
"""

from __future__ import annotations

from app.project.codec import FORMAT_VERSION, project_from_dict, project_to_dict, prompts_hash
from app.project.commands import (
    AddObject,
    AddPrompt,
    Batch,
    Command,
    MoveObject,
    RemoveObject,
    RemovePrompt,
    SetEffects,
    SetObjectAttr,
    SetPrompts,
)
from app.project.document import PALETTE, Project, Prompt, TrackedObject
from app.project.edits import (
    add_object,
    add_prompt,
    clear_prompts,
    move_object,
    remove_object,
    remove_prompt,
    rename_object,
    set_colour,
    set_effects,
    set_visible,
)
from app.project.events import ProjectEvents
from app.project.fingerprint import VideoFingerprint
from app.project.masks import MaskStore, mask_bbox, masks_path_for
from app.project.storage import (
    autosave_path,
    dumps_project,
    load_project,
    load_prompt_mask,
    save_project,
)
from app.project.video_check import check_prompts, check_video, fingerprint_video

__all__ = [
    "FORMAT_VERSION",
    "PALETTE",
    "Project",
    "Prompt",
    "TrackedObject",
    "ProjectEvents",
    "prompts_hash",
    "project_from_dict",
    "project_to_dict",
    "load_project",
    "save_project",
    "autosave_path",
    "dumps_project",
    "check_video",
    "check_prompts",
    "load_prompt_mask",
    "VideoFingerprint",
    "fingerprint_video",
    "MaskStore",
    "masks_path_for",
    "mask_bbox",
    "Command",
    "AddObject",
    "RemoveObject",
    "SetObjectAttr",
    "AddPrompt",
    "RemovePrompt",
    "SetPrompts",
    "SetEffects",
    "MoveObject",
    "Batch",
    "add_object",
    "remove_object",
    "rename_object",
    "set_colour",
    "set_visible",
    "add_prompt",
    "remove_prompt",
    "clear_prompts",
    "set_effects",
    "move_object",
]
