"""Plain data shared by the tracking engine and its callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias

import numpy as np

if TYPE_CHECKING:
    from transformers import EdgeTamVideoModel, Sam2VideoModel
    from transformers.models.edgetam_video.modeling_edgetam_video import (
        EdgeTamVideoSegmentationOutput,
    )
    from transformers.models.sam2_video.modeling_sam2_video import Sam2VideoSegmentationOutput

__all__ = ["FrameProvider", "ObjectMask", "Direction", "FramePrompt", "VideoModel", "VideoOutput"]

Direction = Literal["forward", "backward", "both"]

#: the transformers video models rotokit tracks with (imported lazily: transformers is slow)
VideoModel: TypeAlias = "Sam2VideoModel | EdgeTamVideoModel"
#: what one step of such a model returns
VideoOutput: TypeAlias = "Sam2VideoSegmentationOutput | EdgeTamVideoSegmentationOutput"


class FrameProvider(Protocol):
    """Any random-access frame source (``app.media.FrameSource`` satisfies it)."""

    def __len__(self) -> int: ...

    def frame(self, idx: int) -> np.ndarray:  # H×W×3 uint8 RGB
        ...


@dataclass(frozen=True)
class ObjectMask:
    """One object's mask on one frame (frame size) and the model's belief the object is there.

    ``score`` is the sigmoid of SAM 2's object-presence logit, in [0, 1]: a drop flags drift or
    occlusion.
    """

    mask: np.ndarray  # H×W bool
    score: float


@dataclass
class FramePrompt:
    """Everything a user gave for one object on one frame, in frame pixels.

    Points may follow a box (SAM 2 encodes the box as two corner points first); a mask replaces
    both.
    """

    points: list[tuple[float, float]]
    labels: list[int]
    box: tuple[float, float, float, float] | None = None
    mask: np.ndarray | None = None
