"""Backend on the maintained transformers SAM 2 / EdgeTAM video models.

Each object gets its own transformers inference session (objects are segmented one at a time by
the library anyway), so a click on one object never re-runs the others and objects can be added,
removed or prompted on different frames independently. All sessions share one frame feed and
one image-feature cache, so a frame is encoded once however many objects it has.

We call the model's own ``forward(inference_session, frame_idx=...)`` for every step — the same
code path as ``propagate_in_video_iterator`` — and manage the state around it:
  * ``processed_frames`` is our lazy ``FrameFeed`` (true clip length, nothing preloaded);
  * per-frame outputs further than the memory window from the current frame and from every
    conditioning frame are dropped (the library never evicts them);
  * a correction on an already-tracked frame is kept as a conditioning frame, as in Meta's
    predictor (transformers would store it as an ordinary tracked frame and lose it on the next
    propagation);
  * EdgeTAM only: a click on a frame the object was not tracked on defers the memory encoder
    (memory encoder + spatial perceiver, ≈ 60 % of a same-frame click on CPU) until a step that
    reads memory, as Meta's predictor does (``run_mem_encoder=False`` while prompting). The
    memory is computed later from the very tensors the model passed, so masks are unchanged
    (tests compare with transformers' own loop); only the click gets faster.
    This leans on a private method (``_encode_new_memory`` and its keyword arguments). Should a
    transformers release change it, users fall back to the library's path (correct, slower
    clicks) but with ``ROTOKIT_STRICT_SHIMS=1`` (set by the test suite) it raises ``ShimError``,
    so widening the transformers pin cannot pass the tests silently.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import torch
import torch.nn.functional as F

from model.tracking.backend import StepResult
from model.tracking.feed import FrameFeed
from model.tracking.preprocess import PreprocessConfig
from model.tracking.types import FramePrompt, VideoModel
from model.tracking.types import VideoOutput as _Output

if TYPE_CHECKING:
    from transformers.models.edgetam_video.modeling_edgetam_video import (
        EdgeTamVideoInferenceCache,
        EdgeTamVideoInferenceSession,
    )
    from transformers.models.sam2_video.modeling_sam2_video import (
        Sam2VideoInferenceCache,
        Sam2VideoInferenceSession,
    )

__all__ = ["HFBackend", "HFSession", "ShimError"]

# What a later step reads from a tracked frame's stored output (memory bank + object pointer).
_STATE_KEYS = ("maskmem_features", "maskmem_pos_enc", "object_pointer", "object_score_logits")
_MEMORY_ARGS = {
    "current_vision_feats",
    "pred_masks_high_res",
    "object_score_logits",
    "is_mask_from_pts",
}


_Session: TypeAlias = "Sam2VideoInferenceSession | EdgeTamVideoInferenceSession"
_Cache: TypeAlias = "Sam2VideoInferenceCache | EdgeTamVideoInferenceCache"
# one stored per-frame output (tensors under _STATE_KEYS and others), as the library keeps it
_FrameOutput: TypeAlias = dict[str, Any]
# the keyword arguments of one deferred ``_encode_new_memory`` call (_MEMORY_ARGS)
_MemoryCall: TypeAlias = dict[str, Any]


class _UnexpectedMemoryCall(Exception):
    """The model called its memory encoder in a way the deferral does not know."""


class ShimError(RuntimeError):
    """transformers' internals no longer look the way a rotokit shim expects (strict mode)."""


def _shim_broken(what: str) -> None:
    """Fall back quietly for users; fail loudly under ``ROTOKIT_STRICT_SHIMS=1`` (tests, CI)."""
    if os.environ.get("ROTOKIT_STRICT_SHIMS") == "1":
        import transformers

        raise ShimError(
            f"transformers {transformers.__version__}: {what}; the deferred-memory shim in "
            "model/tracking/hf_backend.py must be updated before this version is allowed"
        )


def _classes(model: VideoModel) -> tuple[type[_Session], type[_Cache]]:
    """The model family's own inference session and feature cache classes."""
    from transformers import EdgeTamVideoModel

    if isinstance(model, EdgeTamVideoModel):
        from transformers.models.edgetam_video import modeling_edgetam_video as edgetam

        return edgetam.EdgeTamVideoInferenceSession, edgetam.EdgeTamVideoInferenceCache
    from transformers.models.sam2_video import modeling_sam2_video as sam2

    return sam2.Sam2VideoInferenceSession, sam2.Sam2VideoInferenceCache


def _logits(out: _Output) -> tuple[torch.Tensor, float]:
    """One object's low-res mask logits (1×1×h×w) and presence logit from a video step (the
    output class declares them optional; the video model's forward always sets both)."""
    masks, score = out.pred_masks, out.object_score_logits
    if masks is None or score is None:
        raise RuntimeError("transformers returned a video step without masks or object score")
    return masks.reshape(1, 1, *masks.shape[-2:]), float(score.reshape(-1)[0])


class HFBackend:
    """A loaded ``Sam2VideoModel`` or ``EdgeTamVideoModel`` on one device."""

    def __init__(
        self,
        model: VideoModel,
        name: str,
        device: torch.device,
        autocast: torch.dtype | None = None,
        preprocess: PreprocessConfig | None = None,
    ) -> None:
        self.model = model
        self.name = name
        self.device = device
        size = model.config.image_size
        self.image_size = int(size[0] if isinstance(size, (list, tuple)) else size)
        self.autocast = autocast  # None = run in the weights' dtype (fp32)
        # the model folder's video processor settings (SAM 2's defaults for built models)
        self.preprocess = preprocess or PreprocessConfig.defaults(self.image_size)

    def open(self, feed: FrameFeed) -> HFSession:
        return HFSession(self, feed)


class HFSession:
    def __init__(self, backend: HFBackend, feed: FrameFeed) -> None:
        self._backend = backend
        self._model = backend.model
        self._feed = feed
        self._device = backend.device
        self._session_cls, cache_cls = _classes(self._model)
        self._cache = cache_cls(
            inference_device=self._device,
            inference_state_device=self._device,
            max_vision_features_cache_size=1,
        )
        self._objects: dict[int, _Session] = {}
        self._new_inputs: dict[int, set[int]] = {}
        # (obj_id, frame_idx) -> (that frame's stored output dict, _encode_new_memory kwargs)
        self._pending_memory: dict[tuple[int, int], tuple[_FrameOutput, _MemoryCall]] = {}
        self._can_defer = type(self._model).__name__ == "EdgeTamVideoModel"
        if self._can_defer and not callable(getattr(self._model, "_encode_new_memory", None)):
            _shim_broken("EdgeTamVideoModel has no _encode_new_memory method")
            self._can_defer = False
        config = self._model.config
        self._window = max(int(config.num_maskmem), int(config.max_object_pointers_in_encoder))

    @property
    def memory_window(self) -> int:
        return self._window

    # state per object -------------------------------------------------------------------
    def _session(self, obj_id: int) -> _Session:
        session = self._objects.get(obj_id)
        if session is None:
            session = self._session_cls(
                video=None,
                video_height=self._feed.height,
                video_width=self._feed.width,
                inference_device=self._device,
                inference_state_device=self._device,
                video_storage_device=self._device,
                dtype=torch.float32,
            )
            # the library only indexes the frames and asks their length: a lazy Mapping will do
            session.processed_frames = self._feed  # type: ignore[assignment]
            session.cache = self._cache  # one image-feature cache for all objects
            session.obj_id_to_idx(obj_id)
            self._objects[obj_id] = session
            self._new_inputs[obj_id] = set()
        return session

    def set_prompt(self, obj_id: int, frame_idx: int, prompt: FramePrompt) -> None:
        session = self._session(obj_id)
        self._pending_memory.pop((obj_id, frame_idx), None)
        outputs = session.output_dict_per_obj[0]
        outputs["cond_frame_outputs"].pop(frame_idx, None)
        outputs["non_cond_frame_outputs"].pop(frame_idx, None)
        size = self._backend.image_size
        if prompt.mask is not None:
            mask = torch.from_numpy(np.ascontiguousarray(prompt.mask)).float()[None, None]
            if mask.shape[-2:] != (size, size):
                mask = F.interpolate(
                    mask, size=(size, size), mode="bilinear", align_corners=False, antialias=True
                )
                mask = (mask >= 0.5).float()
            session.remove_point_inputs(0, frame_idx)
            session.add_mask_inputs(0, frame_idx, mask)
        else:
            coords, labels = [], []
            if prompt.box is not None:
                x0, y0, x1, y1 = prompt.box
                coords += [(x0, y0), (x1, y1)]
                labels += [2, 3]
            coords += list(prompt.points)
            labels += list(prompt.labels)
            # float32 first, then scaled, as the processor's _normalize_coordinates does it
            points = torch.tensor(coords, dtype=torch.float32).reshape(1, 1, -1, 2)
            points[..., 0] = points[..., 0] * (size / self._feed.width)
            points[..., 1] = points[..., 1] * (size / self._feed.height)
            session.remove_mask_inputs(0, frame_idx)
            session.add_point_inputs(
                0,
                frame_idx,
                {
                    "point_coords": points,
                    "point_labels": torch.tensor(labels, dtype=torch.int32).reshape(1, 1, -1),
                },
            )
        self._new_inputs[obj_id].add(frame_idx)

    def remove_object(self, obj_id: int) -> None:
        self._objects.pop(obj_id, None)
        self._new_inputs.pop(obj_id, None)
        for key in [k for k in self._pending_memory if k[0] == obj_id]:
            del self._pending_memory[key]

    def conditioning_frames(self, obj_id: int) -> set[int]:
        session = self._objects.get(obj_id)
        if session is None:
            return set()
        return set(session.output_dict_per_obj[0]["cond_frame_outputs"])

    # resume -------------------------------------------------------------------------------
    def export_frame(self, obj_id: int, frame_idx: int) -> dict[str, torch.Tensor] | None:
        """The tensors later steps read from a tracked (non-prompted) frame, or None."""
        session = self._objects.get(obj_id)
        out = (
            None
            if session is None
            else session.output_dict_per_obj[0]["non_cond_frame_outputs"].get(frame_idx)
        )
        if out is None or not all(isinstance(out.get(k), torch.Tensor) for k in _STATE_KEYS):
            return None
        return {k: out[k] for k in _STATE_KEYS}

    def import_frame(
        self, obj_id: int, frame_idx: int, tensors: dict[str, torch.Tensor], reverse: bool
    ) -> None:
        """Restore a tracked frame's output as if this session had computed it."""
        session = self._session(obj_id)
        session.output_dict_per_obj[0]["non_cond_frame_outputs"][frame_idx] = {
            k: v.to(self._device) for k, v in tensors.items()
        }
        session.frames_tracked_per_obj[0][frame_idx] = {"reverse": reverse}

    # inference ----------------------------------------------------------------------------
    def step(self, frame_idx: int, obj_ids: list[int], reverse: bool) -> StepResult:
        results: StepResult = {}
        dtype = self._backend.autocast
        with torch.autocast(
            self._device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None
        ):
            for obj_id in obj_ids:
                session = self._objects[obj_id]
                is_new = frame_idx in self._new_inputs[obj_id]
                session.obj_with_new_inputs = [obj_id] if is_new else []
                # A prompt on a frame not tracked yet is segmented without memory, so its own
                # memory can wait; a prompted frame without new input returns its stored
                # masks; any other step reads memory: encode what is pending first.
                defer = (
                    self._can_defer
                    and is_new
                    and frame_idx not in session.frames_tracked_per_obj.get(0, {})
                )
                reuse = (
                    not is_new and frame_idx in session.output_dict_per_obj[0]["cond_frame_outputs"]
                )
                out: _Output
                if defer:
                    out = self._step_deferring_memory(session, obj_id, frame_idx, reverse)
                else:
                    if not reuse:
                        self._encode_pending_memory(obj_id)
                    out = self._model(
                        inference_session=session, frame_idx=frame_idx, reverse=reverse
                    )
                if is_new:
                    self._new_inputs[obj_id].discard(frame_idx)
                    outputs = session.output_dict_per_obj[0]
                    tracked = outputs["non_cond_frame_outputs"].pop(frame_idx, None)
                    if tracked is not None:  # a correction on a tracked frame: keep it as a prompt
                        outputs["cond_frame_outputs"][frame_idx] = tracked
                results[obj_id] = _logits(out)
        return results

    def _step_deferring_memory(
        self, session: _Session, obj_id: int, frame_idx: int, reverse: bool
    ) -> _Output:
        model = self._model
        calls: list[_MemoryCall] = []

        def capture(*args: object, **kwargs: Any) -> tuple[None, None]:
            calls.append(kwargs)
            if args or set(kwargs) != _MEMORY_ARGS:  # not the call this was written for
                raise _UnexpectedMemoryCall
            return None, None

        # deliberately an instance attribute that shadows the method for this one call
        model._encode_new_memory = capture  # type: ignore[method-assign,assignment]
        out: _Output | None
        try:
            out = model(inference_session=session, frame_idx=frame_idx, reverse=reverse)
        except _UnexpectedMemoryCall:
            out = None
        finally:
            del model._encode_new_memory
        if out is None or len(calls) != 1:  # another transformers version: do it their way
            _shim_broken(
                f"EdgeTamVideoModel called _encode_new_memory {len(calls)} time(s) with "
                f"{sorted(calls[0]) if calls else 'no'} arguments "
                f"(expected once with {sorted(_MEMORY_ARGS)})"
            )
            self._can_defer = False
            self._encode_pending_memory(obj_id)
            session.obj_with_new_inputs = [obj_id]
            retried: _Output = model(
                inference_session=session, frame_idx=frame_idx, reverse=reverse
            )
            return retried
        stored = session.output_dict_per_obj[0]["cond_frame_outputs"][frame_idx]
        self._pending_memory[(obj_id, frame_idx)] = (stored, calls[0])
        return out

    def _encode_pending_memory(self, obj_id: int) -> None:
        for key in [k for k in self._pending_memory if k[0] == obj_id]:
            stored, kwargs = self._pending_memory.pop(key)
            features, position = self._model._encode_new_memory(**kwargs)
            stored["maskmem_features"] = features.to(self._device)
            stored["maskmem_pos_enc"] = (
                position.to(self._device) if isinstance(position, torch.Tensor) else position
            )

    def prune(self, frame_idx: int, keep: set[int]) -> None:
        window = self._window
        for session in self._objects.values():
            outputs = session.output_dict_per_obj[0]
            anchors = set(outputs["cond_frame_outputs"]) | keep
            tracked = outputs["non_cond_frame_outputs"]
            for idx in list(tracked):
                if abs(idx - frame_idx) > window and all(abs(idx - a) > window for a in anchors):
                    del tracked[idx]
