"""`rotokit selfcheck`: rotokit's masks against transformers' own video loop, same weights.

rotokit streams frames, preprocesses them itself, prunes memory, defers EdgeTAM's memory
encoder and folds RepViT's batch norms; none of that may change a mask. This command tracks two
objects on the first frames of a clip twice: with rotokit's ``TrackingSession`` and with the
loop transformers documents (its processor, ``init_video_session``,
``add_inputs_to_inference_session``, ``propagate_in_video_iterator``, ``post_process_masks``) on
a separately loaded, unoptimised copy of the same weights. It prints the IoU of every mask and
fails (exit 1) when the worst is below 0.999.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import RotokitError

if TYPE_CHECKING:
    from transformers import EdgeTamVideoModel, Sam2VideoModel, Sam2VideoProcessor

    from model.tracking import Tracker

__all__ = ["SelfcheckResult", "run_selfcheck", "format_verdict", "THRESHOLD", "SAMPLE_CLIP"]

THRESHOLD = 0.999
SAMPLE_CLIP = Path(__file__).resolve().parents[1] / "resources" / "sample" / "dog_ball.mp4"


@dataclass
class SelfcheckResult:
    model: str
    clip: Path
    frames: int
    ious: dict[int, dict[int, float]] = field(default_factory=dict)  # frame -> object -> IoU
    coverage: dict[int, dict[int, float]] = field(default_factory=dict)  # rotokit's mask share
    seconds: tuple[float, float] = (0.0, 0.0)  # rotokit, reference

    @property
    def worst(self) -> tuple[float, int, int]:
        """(IoU, frame, object) of the worst mask."""
        return min((iou, f, o) for f, objs in self.ious.items() for o, iou in objs.items())

    @property
    def passed(self) -> bool:
        return self.worst[0] >= THRESHOLD


class _Frames:
    """The first frames of the clip, held in memory (a few frames only): both loops see the
    very same RGB arrays."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, idx: int) -> np.ndarray:
        return self.frames[idx]


def _read_frames(path: Path, count: int) -> list[np.ndarray]:
    from app.media import FrameSource

    source = FrameSource(path)
    try:
        n = min(count, len(source))
        return [source.frame(i) for i in range(n)]
    finally:
        source.close()


def _prompts(width: int, height: int, bundled: bool) -> list[tuple[int, dict[str, Any]]]:
    """Two objects on frame 0: a point and a box (the dog and the woman of the sample clip,
    else the frame's centre and its left part)."""
    if bundled:
        return [
            (1, dict(box=[440, 190, 605, 282])),
            (2, dict(points=[[140, 130], [145, 205], [300, 300]], labels=[1, 1, 0])),
        ]
    return [
        (1, dict(points=[[width * 0.5, height * 0.5]], labels=[1])),
        (2, dict(box=[width * 0.1, height * 0.1, width * 0.4, height * 0.9])),
    ]


def _reference(
    tracker: Tracker, name: str, weights: str | None
) -> tuple[Sam2VideoModel | EdgeTamVideoModel, Sam2VideoProcessor]:
    """A separately loaded, unoptimised model with transformers' own processor."""
    from model import registry
    from model.tracking.reference import reference_processor

    model: Sam2VideoModel | EdgeTamVideoModel
    if weights is None and registry.is_random(name):
        from model.testmodels import build_random_model

        model = build_random_model(name)
        processor = reference_processor(model)
    else:
        from transformers import EdgeTamVideoModel, Sam2VideoModel

        folder = registry.resolve_weights(weights or name, offline=True)
        cls = EdgeTamVideoModel if registry.read_kind(folder) == "edgetam" else Sam2VideoModel
        model = cls.from_pretrained(folder, use_safetensors=True)
        try:
            processor = reference_processor(model, folder)
        except (OSError, ValueError):  # no processor config in the folder: the library's defaults
            processor = reference_processor(model)
    # transformers wraps PreTrainedModel.to with functools.wraps; mypy binds the wrapper unbound
    return model.to(tracker.device).eval(), processor  # type: ignore[arg-type]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def run_selfcheck(
    model: str = "auto",
    weights: str | None = None,
    clip: str | Path | None = None,
    frames: int = 8,
    device: str = "auto",
    offline: bool = False,
    log: Callable[[str], None] = print,
) -> SelfcheckResult:
    """Track two objects over the first ``frames`` frames with rotokit and with transformers'
    loop; log one line per frame and return every IoU."""
    import torch

    from model.tracking import Tracker, TrackingSession
    from model.tracking.reference import ReferenceLoop

    if frames < 2:
        raise RotokitError(f"selfcheck needs at least 2 frames (got {frames})")
    path = Path(clip) if clip is not None else SAMPLE_CLIP
    rgb = _read_frames(path, frames)
    if len(rgb) < 2:
        raise RotokitError(
            f"{path}: selfcheck needs a clip of at least 2 frames, it has {len(rgb)}"
        )
    height, width = rgb[0].shape[:2]
    tracker = Tracker.load(model, weights=weights, device=device, offline=offline, precision="fp32")
    ref_model, processor = _reference(tracker, tracker.name, weights)
    prompts = _prompts(width, height, clip is None)
    result = SelfcheckResult(tracker.name, path, len(rgb))
    log(
        f"selfcheck: {tracker.name} on {path.name}, {len(rgb)} frames {width}x{height}, "
        f"{len(prompts)} objects, device {tracker.device}, engine {tracker.engine}"
    )

    t0 = time.perf_counter()
    with TrackingSession(tracker, _Frames(rgb)) as session:
        for obj_id, prompt in prompts:
            if "box" in prompt:
                session.add_box(0, obj_id, prompt["box"])
            else:
                session.add_points(0, obj_id, prompt["points"], prompt["labels"])
        ours = {f: {o: m.mask for o, m in masks.items()} for f, masks in session.propagate()}
    t1 = time.perf_counter()
    loop = ReferenceLoop(ref_model, rgb, processor, device=str(tracker.device))
    for obj_id, prompt in prompts:
        loop.add(0, obj_id, **prompt)
    with torch.inference_mode():
        ref = {f: {o: r.mask for o, r in masks.items()} for f, masks in loop.propagate(start=0)}
    result.seconds = (t1 - t0, time.perf_counter() - t1)

    for f in sorted(ref):
        result.ious[f] = {o: _iou(ours[f][o], ref[f][o]) for o in ref[f]}
        result.coverage[f] = {o: float(ours[f][o].mean()) for o in ref[f]}
        log(
            f"frame {f:4d}: "
            + ", ".join(
                f"object {o} IoU {result.ious[f][o]:.6f} "
                f"(mask {result.coverage[f][o]:.1%} of frame)"
                for o in sorted(ref[f])
            )
        )
    if all(c == 0.0 for objs in result.coverage.values() for c in objs.values()):
        raise RotokitError(
            f"{path}: every mask is empty, so nothing was compared; try --clip "
            "with a clip whose centre shows an object"
        )
    return result


def format_verdict(result: SelfcheckResult) -> str:
    iou, frame, obj = result.worst
    verdict = "PASS" if result.passed else "FAIL"
    ours, ref = result.seconds
    return (
        f"worst IoU {iou:.6f} (frame {frame}, object {obj}): {verdict} (threshold {THRESHOLD}); "
        f"rotokit {ours:.1f} s, transformers' loop {ref:.1f} s"
    )
