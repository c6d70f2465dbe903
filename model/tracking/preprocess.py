"""Frame → model input and low-res logits → frame-size mask: the only image maths we own.

One ``cv2.resize`` straight to the model's square input and ImageNet normalisation, from our RGB
frames (no PIL round trip, no processor); masks come back by one bilinear upsampling of SAM 2's
low-resolution logits to the frame size and a threshold at 0.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Preprocessor", "logits_to_masks"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Preprocessor:
    """RGB uint8 H×W×3 → float32 3×S×S, normalised as the SAM 2 family was trained."""

    def __init__(self, size: int, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> None:
        self.size = size
        self._scale = (1.0 / (255.0 * np.asarray(std, np.float32))).reshape(1, 1, 3)
        self._offset = (np.asarray(mean, np.float32) / np.asarray(std, np.float32)).reshape(1, 1, 3)

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
        resized = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        x = resized.astype(np.float32) * self._scale - self._offset
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


def logits_to_masks(logits: torch.Tensor, height: int, width: int) -> np.ndarray:
    """N×1×h×w (or N×h×w) mask logits → N×H×W bool at frame size."""
    if logits.dim() == 3:
        logits = logits[:, None]
    up = F.interpolate(logits.float(), size=(height, width), mode="bilinear", align_corners=False)
    return (up[:, 0] > 0).cpu().numpy()
