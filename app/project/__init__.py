"""The project document (objects, prompts, effect stacks), its file format and the mask store.

No Qt here: the GUI wraps the command API (`app.project.commands`) in its undo stack and
listens to ``project.events``.
"""

from __future__ import annotations

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
from app.project.document import (
    FORMAT_VERSION,
    PALETTE,
    Project,
    Prompt,
    TrackedObject,
    prompts_hash,
)
from app.project.events import EventEmitter, ProjectEvent
from app.project.fingerprint import VideoFingerprint, fingerprint_video
from app.project.masks import MaskStore, mask_bbox, masks_path_for
from app.project.storage import (
    autosave_path,
    check_prompts,
    check_video,
    dumps_project,
    load_project,
    load_prompt_mask,
    save_project,
)

__all__ = [
    "FORMAT_VERSION",
    "PALETTE",
    "Project",
    "Prompt",
    "TrackedObject",
    "prompts_hash",
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
    "EventEmitter",
    "ProjectEvent",
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
]
