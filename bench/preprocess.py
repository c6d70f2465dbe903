"""Frame preprocessing and mask post-processing: rotokit vs the old cv2 resize vs transformers.

    .venv/bin/python bench/preprocess.py               # 720p, 1080p, 4K; ~1 min on 2 cores
    .venv/bin/python bench/preprocess.py --rounds 9

Per frame, same frames, same run, interleaved rounds (best kept):
  * old:          ``cv2.resize(INTER_LINEAR)`` + ImageNet normalisation (rotokit before issue 12);
  * rotokit:      ``model.tracking.preprocess.Preprocessor`` (torchvision antialiased resize +
                  the processor's fused normalisation, from the model's processor config);
  * transformers: ``Sam2VideoVideoProcessor`` called on one frame (what ``init_video_session``
                  does per frame).
It also prints how far each output is from the processor's (grey levels: |Δ| × std × 255), and
times mask post-processing (low-res logits → frame-size masks) against
``Sam2VideoProcessor.post_process_masks``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import torch

if TYPE_CHECKING:
    from transformers import Sam2VideoProcessor, Sam2VideoVideoProcessor

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._table import best_of, print_table  # noqa: E402
from model.tracking.preprocess import Preprocessor, logits_to_masks  # noqa: E402

MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


class OldPreprocessor:
    """rotokit's preprocessing before issue 12, kept here as the baseline."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._scale = (1.0 / (255.0 * STD)).reshape(1, 1, 3)
        self._offset = (MEAN / STD).reshape(1, 1, 3)

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        resized = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        x = resized.astype(np.float32) * self._scale - self._offset
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


def frame_at(size: tuple[int, int]) -> np.ndarray:
    """A real frame upscaled to ``size`` plus 1-2 px texture (what aliasing shows on)."""
    with av.open(str(MEDIA / "dog_ball.mp4")) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    w, h = size
    big = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    rng = np.random.default_rng(0)
    texture = rng.integers(-30, 31, size=(h // 2 + 1, w // 2 + 1)).astype(np.int16)
    big += np.kron(texture, np.ones((2, 2), np.int16))[:h, :w, None]
    return np.clip(big, 0, 255).astype(np.uint8)


def processor_frame(processor: Sam2VideoVideoProcessor, rgb: np.ndarray) -> torch.Tensor:
    """transformers' video processor on one frame, as ``init_video_session`` runs it."""
    return processor(videos=[rgb[None]], return_tensors="pt").pixel_values_videos[0, 0]


def processor_masks(post: Sam2VideoProcessor, logits: torch.Tensor, h: int, w: int) -> np.ndarray:
    """transformers' ``post_process_masks`` on the same logits (cloned: it may work in place)."""
    return post.post_process_masks([logits.clone()], [[h, w]])[0].numpy()


def best(fn: Callable[[], object], rounds: int) -> float:
    return best_of(rounds, fn)[0]


def levels(x: torch.Tensor, ref: torch.Tensor) -> tuple[float, float]:
    """(max, p99.9) distance in grey levels."""
    d = ((x - ref).abs() * torch.tensor(STD).reshape(3, 1, 1) * 255).flatten().numpy()
    return float(d.max()), float(np.quantile(d, 0.999))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=1024, help="model input size")
    args = parser.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)

    from transformers import Sam2ImageProcessor, Sam2VideoProcessor, Sam2VideoVideoProcessor

    square = {"height": args.size, "width": args.size}
    processor = Sam2VideoVideoProcessor(size=square)
    ours, old = Preprocessor(args.size), OldPreprocessor(args.size)
    rows = []
    for label, size in SIZES.items():
        rgb = frame_at(size)
        hf = partial(processor_frame, processor, rgb)
        reference = hf()
        t_hf = t_new = t_old = float("inf")
        for _ in range(args.rounds):  # interleaved: load drift hits all three alike
            t_hf = min(t_hf, best(hf, 1))
            t_new = min(t_new, best(partial(ours, rgb), 1))
            t_old = min(t_old, best(partial(old, rgb), 1))
        new_max, new_p = levels(ours(rgb), reference)
        old_max, old_p = levels(old(rgb), reference)
        rows.append(
            (
                f"preprocess {label}",
                "transformers Sam2VideoVideoProcessor, 1 frame",
                f"{t_hf * 1000:.1f} ms",
                "baseline",
            )
        )
        rows.append(
            (
                f"preprocess {label}",
                "old: cv2 INTER_LINEAR + normalise",
                f"{t_old * 1000:.1f} ms",
                f"{t_hf / t_old:.2f}x processor speed; "
                f"vs processor max {old_max:.1f} / p99.9 {old_p:.1f} grey levels",
            )
        )
        rows.append(
            (
                f"preprocess {label}",
                "rotokit: torchvision antialiased resize + fused normalise",
                f"{t_new * 1000:.1f} ms",
                f"{t_hf / t_new:.2f}x processor speed, {t_old / t_new:.2f}x old speed; "
                f"vs processor max {new_max:.1f} / p99.9 {new_p:.1f} grey levels",
            )
        )

    post = Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size=square),
        video_processor=processor,
        target_size=args.size,
    )
    logits = torch.randn(2, 1, args.size // 4, args.size // 4) * 3
    for label, (w, h) in SIZES.items():
        t_hf = t_new = float("inf")
        for _ in range(args.rounds):
            t_hf = min(t_hf, best(partial(processor_masks, post, logits, h, w), 1))
            t_new = min(t_new, best(partial(logits_to_masks, logits, h, w), 1))
        same = np.array_equal(
            logits_to_masks(logits, h, w),
            post.post_process_masks([logits.clone()], [[h, w]])[0][:, 0].numpy(),
        )
        rows.append(
            (
                f"masks {label}",
                "2 objects: processor post_process_masks",
                f"{t_hf * 1000:.1f} ms",
                "baseline",
            )
        )
        rows.append(
            (
                f"masks {label}",
                "2 objects: rotokit logits_to_masks",
                f"{t_new * 1000:.1f} ms",
                f"{t_hf / t_new:.2f}x; identical masks: {same}",
            )
        )

    print_table(("what", "how", "per frame", "ratio (same run)"), rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
