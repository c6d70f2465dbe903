"""The seam between ``TrackingSession`` and a concrete tracker network.

``TrackingSession`` owns validation, prompt bookkeeping, scores, ordering and post-processing;
a backend owns the network and its per-object memory. Another tracker (e.g. SAM 3's tracker)
plugs in by implementing these two protocols — app/ never sees them.
"""

from __future__ import annotations

from typing import Protocol

import torch

from model.tracking.feed import FrameFeed
from model.tracking.types import FramePrompt

__all__ = ["Backend", "BackendSession", "StepResult"]

# obj_id -> (low-res mask logits 1×1×h×w, presence logit)
StepResult = dict[int, tuple[torch.Tensor, float]]


class BackendSession(Protocol):
    def set_prompt(self, obj_id: int, frame_idx: int, prompt: FramePrompt) -> None:
        """Replace this object's prompt on this frame (frame-pixel coordinates)."""

    def remove_object(self, obj_id: int) -> None: ...

    def step(self, frame_idx: int, obj_ids: list[int], reverse: bool) -> StepResult:
        """Segment these objects on one frame: objects with a new prompt there use it (and the
        frame becomes a conditioning frame); the others track from their memory."""

    def conditioning_frames(self, obj_id: int) -> set[int]: ...

    def prune(self, frame_idx: int, keep: set[int]) -> None:
        """Forget per-frame state that frame ``frame_idx`` and later steps cannot need (except
        frames in ``keep``)."""

    @property
    def memory_window(self) -> int: ...

    def export_frame(self, obj_id: int, frame_idx: int) -> dict[str, torch.Tensor] | None:
        """What later steps read from this tracked frame (None for a prompted frame)."""

    def import_frame(
        self, obj_id: int, frame_idx: int, tensors: dict[str, torch.Tensor], reverse: bool
    ) -> None:
        """Restore what ``export_frame`` gave, in a fresh session (resume after a kill)."""


class Backend(Protocol):
    name: str
    image_size: int
    device: torch.device

    def open(self, feed: FrameFeed) -> BackendSession: ...
