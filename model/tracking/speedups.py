"""Inference-only speed levers that keep the network's maths (equal up to float rounding).

* The FPN neck asks for a sine position encoding at each of its 4 levels on every frame, but the
  library's cache holds one entry, so all four are rebuilt per frame (the 256×256×256 one is a
  large sin/cos job at 1024 px). They depend only on the shape: cache them all.
* EdgeTAM's RepViT backbone (timm) has train-time branches and BatchNorms: timm's
  ``reparameterize_model`` folds them into single convolutions.
"""

from __future__ import annotations

import weakref

import torch
from torch import nn

__all__ = ["optimize_for_inference"]


class CachedPositionEncoding(nn.Module):
    """Wraps a ``(shape, device, dtype) -> Tensor`` sine position encoding with an unbounded
    (in practice 4-entry) cache; the returned tensors are never modified in place downstream."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self._cache: dict[tuple[tuple[int, ...], str, torch.dtype], torch.Tensor] = {}

    def forward(
        self, shape: torch.Size | tuple[int, ...], device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        key = (tuple(shape), str(device), dtype)
        hit = self._cache.get(key)
        if hit is None:
            with torch.inference_mode():
                hit = self.inner(shape, device, dtype)
            self._cache[key] = hit
        return hit


# backbones already folded (folding twice would be wasted work; the module is changed in place)
_FUSED: weakref.WeakSet[nn.Module] = weakref.WeakSet()


def optimize_for_inference(model: nn.Module) -> list[str]:
    """Apply the levers this model has (any transformers SAM 2 family model); returns what was
    applied, for the CLI and status bar. Idempotent."""
    applied: list[str] = []
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
    if backbone is not None and isinstance(timm_model, nn.Module) and timm_model not in _FUSED:
        from timm.utils.model import reparameterize_model

        fused = reparameterize_model(timm_model, inplace=True)
        _FUSED.add(fused)
        backbone.timm_model = fused
        applied.append("RepViT re-parameterised (conv+BN folded)")
    return applied
