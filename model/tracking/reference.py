"""transformers' own video loop, as its documentation writes it: the yardstick for rotokit's masks.

``Sam2VideoProcessor`` preprocesses the whole clip up front (``init_video_session``), prompts go
through ``add_inputs_to_inference_session``, each prompt is segmented by ``model(...)``, tracking
is ``propagate_in_video_iterator`` and masks come back through ``post_process_masks``. Nothing of
rotokit's runs here, so ``rotokit selfcheck`` and the parity tests compare rotokit against an
independent implementation sharing only the weights.

One documented difference: ``conditioning=True`` on ``add`` stores a prompted, already tracked
frame as a conditioning frame, as Meta's SAM 2 predictor does for corrections
(``add_all_frames_to_correct_as_cond``) and rotokit does; plain transformers keeps it as an
ordinary tracked frame, which the next propagation overwrites.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import numpy.typing as npt
import torch

from model.tracking.types import VideoModel, VideoOutput

if TYPE_CHECKING:
    from transformers import Sam2VideoProcessor

__all__ = ["ReferenceLoop", "ReferenceMask", "reference_processor"]


@dataclass(frozen=True)
class ReferenceMask:
    """One object on one frame: the frame-size mask, the model's low-res logits and presence
    logit."""

    mask: npt.NDArray[np.bool_]  # H×W
    logits: torch.Tensor  # 1×1×h×w, before post-processing
    presence: float  # object-score logit


class _Inputs(TypedDict, total=False):
    """``add_inputs_to_inference_session``'s prompt arguments, nested as its documentation."""

    input_masks: npt.NDArray[np.bool_]
    input_points: list[list[list[list[float]]]]
    input_labels: list[list[list[int]]]
    input_boxes: list[list[list[float]]]


def reference_processor(model: VideoModel, folder: str | Path | None = None) -> Sam2VideoProcessor:
    """The processor a transformers user would load: the folder's own, or the library's
    defaults at the model's input size for a built (random) model."""
    from transformers import Sam2ImageProcessor, Sam2VideoProcessor, Sam2VideoVideoProcessor

    if folder is not None:
        return Sam2VideoProcessor.from_pretrained(str(folder))
    config_size = model.config.image_size
    size = int(config_size[0] if isinstance(config_size, (list, tuple)) else config_size)
    square = {"height": size, "width": size}
    return Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size=square),
        video_processor=Sam2VideoVideoProcessor(size=square),
        target_size=size,
    )


class ReferenceLoop:
    """A preloaded transformers session on ``frames`` (every frame preprocessed up front)."""

    def __init__(
        self,
        model: VideoModel,
        frames: Sequence[np.ndarray],
        processor: Sam2VideoProcessor | None = None,
        device: str = "cpu",
    ) -> None:
        self.model = model
        self.processor = processor or reference_processor(model)
        self.height, self.width = frames[0].shape[:2]
        self.session = self.processor.init_video_session(
            video=np.stack(list(frames)), inference_device=device, dtype=torch.float32
        )

    def add(
        self,
        frame_idx: int,
        obj_id: int,
        points: Sequence[Sequence[float]] | None = None,
        labels: Sequence[int] | None = None,
        box: Sequence[float] | None = None,
        mask: np.ndarray | None = None,
        conditioning: bool = False,
    ) -> dict[int, ReferenceMask]:
        """Prompt one object on one frame (replacing its prompt there) and segment that frame,
        as the documentation's interactive loop does; returns every object's mask there."""
        kwargs: _Inputs = {}
        if mask is not None:
            kwargs["input_masks"] = np.asarray(mask, dtype=bool)
        if points is not None:
            if labels is None:
                raise ValueError("points need their labels (1 positive, 0 negative)")
            kwargs["input_points"] = [[[list(map(float, p)) for p in points]]]
            kwargs["input_labels"] = [[[int(v) for v in labels]]]
        if box is not None:
            kwargs["input_boxes"] = [[list(map(float, box))]]
        self.processor.add_inputs_to_inference_session(
            inference_session=self.session, frame_idx=frame_idx, obj_ids=obj_id, **kwargs
        )
        with torch.inference_mode():
            out = self.model(inference_session=self.session, frame_idx=frame_idx)
        if conditioning:  # Meta's predictor: a correction stays a conditioning frame
            outputs = self.session.output_dict_per_obj[self.session.obj_id_to_idx(obj_id)]
            tracked = outputs["non_cond_frame_outputs"].pop(frame_idx, None)
            if tracked is not None:
                outputs["cond_frame_outputs"][frame_idx] = tracked
        return self._masks(out)

    def propagate(
        self, start: int | None = None, reverse: bool = False, max_frames: int | None = None
    ) -> Iterator[tuple[int, dict[int, ReferenceMask]]]:
        """``propagate_in_video_iterator``, each step post-processed to frame-size masks."""
        with torch.inference_mode():
            for out in self.model.propagate_in_video_iterator(
                self.session,
                start_frame_idx=start,
                reverse=reverse,
                max_frame_num_to_track=max_frames,
            ):
                yield out.frame_idx, self._masks(out)

    def _masks(self, out: VideoOutput) -> dict[int, ReferenceMask]:
        logits, score, obj_ids = out.pred_masks, out.object_score_logits, out.object_ids
        if logits is None or score is None or obj_ids is None:
            raise RuntimeError("transformers returned a video step without masks or object ids")
        # post_process_masks is unannotated in transformers
        up: torch.Tensor = self.processor.post_process_masks(  # type: ignore[no-untyped-call]
            [logits], original_sizes=[[self.height, self.width]], binarize=False
        )[0]
        presence = score.reshape(-1)
        return {
            obj_id: ReferenceMask(
                (up[k, 0] > 0).cpu().numpy(), logits[k : k + 1].detach().clone(), float(presence[k])
            )
            for k, obj_id in enumerate(obj_ids)
        }
