"""Inference-only speed levers that keep the network's maths (equal up to float rounding).

* The FPN neck asks for a sine position encoding at each of its 4 levels on every frame, but the
  library's cache holds one entry, so all four are rebuilt per frame (the 256×256×256 one is a
  large sin/cos job at 1024 px). They depend only on the shape: cache them all.
* EdgeTAM's RepViT backbone (timm) has train-time branches and BatchNorms: timm's
  ``reparameterize_model`` folds them into single convolutions.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["optimize_for_inference"]


class CachedPositionEncoding(nn.Module):
    """Wraps a ``(shape, device, dtype) -> Tensor`` sine position encoding with an unbounded
    (in practice 4-entry) cache; the returned tensors are never modified in place downstream."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self._cache: dict[tuple, torch.Tensor] = {}

    def forward(self, shape, device, dtype) -> torch.Tensor:
        key = (tuple(shape), str(device), dtype)
        hit = self._cache.get(key)
        if hit is None:
            with torch.inference_mode():
                hit = self.inner(shape, device, dtype)
            self._cache[key] = hit
        return hit


def optimize_for_inference(model) -> list[str]:
    applied = []
    neck = getattr(getattr(model, "vision_encoder", None), "neck", None)
    if (
        neck is not None
        and hasattr(neck, "position_encoding")
        and not isinstance(neck.position_encoding, CachedPositionEncoding)
    ):
        neck.position_encoding = CachedPositionEncoding(neck.position_encoding)
        applied.append("FPN position encodings cached")
    backbone = getattr(getattr(model, "vision_encoder", None), "backbone", None)
    timm_model = getattr(backbone, "timm_model", None)
    if timm_model is not None and not getattr(timm_model, "_rotokit_fused", False):
        from timm.utils.model import reparameterize_model

        fused = reparameterize_model(timm_model, inplace=True)
        fused._rotokit_fused = True
        backbone.timm_model = fused
        applied.append("RepViT re-parameterised (conv+BN folded)")
    return applied
