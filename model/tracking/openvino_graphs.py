"""The parts of EdgeTAM that run as OpenVINO graphs: what is traced, and the drop-in modules that
call the compiled graphs in place of transformers' torch modules.

Each drop-in runs its graph only for the exact shape it was exported with (one frame, one
object: rotokit gives every object its own session) and hands anything else to the torch module
it wraps, so an unusual call is slower, never wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    import openvino as ov
    from transformers import EdgeTamVideoConfig
    from transformers.models.edgetam.modeling_edgetam import (
        EdgeTamVisionEncoderOutput,
        EdgeTamVisionModel,
    )

__all__ = [
    "FeatureMaps",
    "MemoryEncoderFeatures",
    "OpenVinoMemoryAttention",
    "OpenVinoMemoryEncoder",
    "OpenVinoVisionEncoder",
    "SteadyMemoryAttention",
    "memory_attention_example",
    "steady_memory_shape",
]


def _as_array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float32).contiguous().numpy()


def _project(maps: list[torch.Tensor], projections: nn.ModuleList) -> list[torch.Tensor]:
    """The mask decoder's 1×1 projections of the first (high-resolution) levels."""
    return [
        projections[level](m) if level < len(projections) else m for level, m in enumerate(maps)
    ]


class FeatureMaps(nn.Module):
    """Traced: pixels → the FPN feature maps the video model reads (3 levels), with the mask
    decoder's 1×1 projections of the two high-resolution levels (``conv_s0``, ``conv_s1``) when
    given. The video model applies those right after the encoder on every frame; in torch, on
    the 256×256×256 map, they are mostly layout reorders (the "rest" of `bench/tracking.py
    --only components`), and the graph would otherwise hand torch 64 MB instead of 8 MB."""

    def __init__(self, encoder: nn.Module, projections: tuple[nn.Module, nn.Module] | None) -> None:
        super().__init__()
        self.encoder = encoder
        self.projections = nn.ModuleList(projections or ())

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        maps = list(self.encoder(pixel_values, return_dict=True).fpn_hidden_states)
        return tuple(_project(maps, self.projections))


class OpenVinoVisionEncoder(nn.Module):
    """Drop-in for ``model.vision_encoder``: same output type and fields the video model reads,
    with the high-resolution levels already projected by the mask decoder's ``conv_s0`` /
    ``conv_s1`` (``accelerate`` turns those into identities in the mask decoder: the video
    model's ``get_image_features`` is their only user).

    Position encodings depend only on the shape and come from the torch neck (cached there).
    Any input but the exported 1×3×S×S frame goes to the torch encoder it wraps, then through
    the same projections."""

    def __init__(
        self,
        torch_encoder: EdgeTamVisionModel,
        projections: tuple[nn.Module, nn.Module],
        compiled: ov.CompiledModel,
        image_size: int,
        output_cls: type[EdgeTamVisionEncoderOutput],
    ) -> None:
        super().__init__()
        self.torch_encoder = torch_encoder
        self.projections = nn.ModuleList(projections)
        self.config = torch_encoder.config
        self._compiled = compiled
        self._request = compiled.create_infer_request()
        self._shape = (1, 3, image_size, image_size)
        self._output_cls = output_cls
        self._width = int(torch_encoder.config.fpn_hidden_size)  # channels before projection

    def forward(self, pixel_values: torch.Tensor, **kwargs: Any) -> EdgeTamVisionEncoderOutput:
        if tuple(pixel_values.shape) != self._shape or pixel_values.device.type != "cpu":
            out: EdgeTamVisionEncoderOutput = self.torch_encoder(pixel_values, **kwargs)
            maps = list(out.fpn_hidden_states)  # type: ignore[arg-type]  # one Tensor per level
            out.fpn_hidden_states = _project(maps, self.projections)  # type: ignore[assignment]
            return out
        result = self._request.infer(
            {0: _as_array(pixel_values)}, share_inputs=True, share_outputs=False
        )
        maps = [torch.from_numpy(result[k]) for k in range(len(self._compiled.outputs))]
        position = self.torch_encoder.neck.position_encoding
        encodings = [
            position((m.shape[0], self._width, *m.shape[2:]), m.device, m.dtype) for m in maps
        ]
        # transformers annotates these fields as one Tensor; its own encoder puts one per level
        return self._output_cls(
            last_hidden_state=None,
            fpn_hidden_states=maps,  # type: ignore[arg-type]
            fpn_position_encoding=encodings,  # type: ignore[arg-type]
        )


def steady_memory_shape(config: EdgeTamVideoConfig) -> tuple[int, int, int]:
    """(memory frames, pointer tokens, total memory tokens) once the memory bank is full: one
    prompted frame + the 6 latest frames, each 256 1D + 256 2D perceiver latents, and 16 object
    pointers split into memory-width tokens. Other shapes (the first frames, several prompted
    frames in the window) run in torch."""
    frames = int(config.num_maskmem)
    per_frame = int(config.perceiver_resampler_num_latents) + int(
        config.perceiver_resampler_num_latents_2d
    )
    split = int(config.memory_attention_hidden_size) // int(config.memory_encoder_output_channels)
    pointers = int(config.max_object_pointers_in_encoder) * split
    return frames, pointers, frames * per_frame + pointers


class SteadyMemoryAttention(nn.Module):
    """Traced: memory attention with the steady state's token counts baked in."""

    def __init__(self, attention: nn.Module, frames: int, pointers: int) -> None:
        super().__init__()
        self.attention, self.frames, self.pointers = attention, frames, pointers

    def forward(
        self,
        current: torch.Tensor,
        current_pos: torch.Tensor,
        memory: torch.Tensor,
        memory_pos: torch.Tensor,
    ) -> torch.Tensor:
        out: torch.Tensor = self.attention(
            current_vision_features=current,
            current_vision_position_embeddings=current_pos,
            memory=memory,
            memory_posision_embeddings=memory_pos,
            num_object_pointer_tokens=self.pointers,
            num_spatial_memory_tokens=self.frames,
        )
        return out


def memory_attention_example(config: EdgeTamVideoConfig) -> tuple[torch.Tensor, ...]:
    sizes = config.memory_attention_rope_feat_sizes
    if sizes is None:  # the config class fills its default in; a None here is a broken config
        raise ValueError("EdgeTAM config has no memory_attention_rope_feat_sizes")
    queries = int(np.prod(sizes))
    hidden, width = (
        int(config.memory_attention_hidden_size),
        int(config.memory_encoder_output_channels),
    )
    tokens = steady_memory_shape(config)[2]
    return (
        torch.randn(queries, 1, hidden),
        torch.randn(queries, 1, hidden),
        torch.randn(tokens, 1, width),
        torch.randn(tokens, 1, width),
    )


class OpenVinoMemoryAttention(nn.Module):
    """Drop-in for ``model.memory_attention``: the compiled graph for the steady-state shape,
    the torch module for anything else."""

    def __init__(
        self, torch_attention: nn.Module, compiled: ov.CompiledModel, shape: tuple[int, int, int]
    ) -> None:
        super().__init__()
        self.torch_attention = torch_attention
        self._request = compiled.create_infer_request()
        self._shape = shape
        self.compiled_calls = 0  # how many steps ran in the graph (tests, benches)

    def forward(
        self,
        current_vision_features: torch.Tensor,
        memory: torch.Tensor,
        current_vision_position_embeddings: torch.Tensor | None = None,
        memory_posision_embeddings: torch.Tensor | None = None,
        num_object_pointer_tokens: int = 0,
        num_spatial_memory_tokens: int = -1,
    ) -> torch.Tensor:
        key = (num_spatial_memory_tokens, num_object_pointer_tokens, memory.shape[0])
        inputs = (
            current_vision_features,
            current_vision_position_embeddings,
            memory,
            memory_posision_embeddings,
        )
        tensors = [t for t in inputs if t is not None]
        if key != self._shape or any(
            t is None or t.device.type != "cpu" or t.shape[1] != 1 for t in inputs
        ):
            out: torch.Tensor = self.torch_attention(
                current_vision_features=current_vision_features,
                memory=memory,
                current_vision_position_embeddings=current_vision_position_embeddings,
                memory_posision_embeddings=memory_posision_embeddings,
                num_object_pointer_tokens=num_object_pointer_tokens,
                num_spatial_memory_tokens=num_spatial_memory_tokens,
            )
            return out
        arrays = {k: _as_array(t) for k, t in enumerate(tensors)}
        result = self._request.infer(arrays, share_inputs=True, share_outputs=False)
        self.compiled_calls += 1
        return torch.from_numpy(result[0])


def _channel_layer_norm(x: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
    """LayerNorm over the channels of an NCHW tensor, written as SAM 2's own ``LayerNorm2d``."""
    mean = x.mean(1, keepdim=True)
    var = (x - mean).pow(2).mean(1, keepdim=True)
    x = (x - mean) / torch.sqrt(var + norm.eps)
    return norm.weight[:, None, None] * x + norm.bias[:, None, None]


class MemoryEncoderFeatures(nn.Module):
    """Traced: transformers' EdgeTAM memory encoder (mask downsampler, fusion with the frame's
    features, projection) with the same weights and maths, written in NCHW throughout: the
    channel LayerNorms as SAM 2's ``LayerNorm2d`` and the fuser's pointwise Linear layers as
    1×1 convolutions. Traced as the library writes it (permute → LayerNorm → permute around each
    norm and Linear), the graph spends more time in OpenVINO's layout reorders than in the
    convolutions, and is slower than torch (`bench/tracking_levers.py`, memory encoder rows).
    ``accelerate`` checks this rewrite against the library's module before exporting it."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, vision_features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        enc: Any = self.encoder  # transformers' EdgeTamVideoMemoryEncoder (untyped submodules)
        x = masks
        for layer in enc.mask_downsampler.layers:
            x = layer.activation(_channel_layer_norm(layer.conv(x), layer.layer_norm))
        x = enc.mask_downsampler.final_conv(x)
        x = enc.feature_projection(vision_features) + x
        for block in enc.memory_fuser.layers:
            y = _channel_layer_norm(block.depthwise_conv(x), block.layer_norm)
            y = F.conv2d(
                y, block.pointwise_conv1.weight[:, :, None, None], block.pointwise_conv1.bias
            )
            y = block.activation(y)
            y = F.conv2d(
                y, block.pointwise_conv2.weight[:, :, None, None], block.pointwise_conv2.bias
            )
            x = x + block.scale[:, None, None] * y
        out: torch.Tensor = enc.projection(x)
        return out


class OpenVinoMemoryEncoder(nn.Module):
    """Drop-in for ``model.memory_encoder``: (frame features, mask) → (memory features, their
    position encoding), the graph for one object at the exported size, torch otherwise."""

    def __init__(
        self,
        torch_encoder: nn.Module,
        compiled: ov.CompiledModel,
        shapes: tuple[tuple[int, ...], tuple[int, ...]],
    ) -> None:
        super().__init__()
        self.torch_encoder = torch_encoder
        self._request = compiled.create_infer_request()
        self._shapes = shapes
        self.compiled_calls = 0

    def forward(
        self, vision_features: torch.Tensor, masks: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if (tuple(vision_features.shape), tuple(masks.shape)) != self._shapes or any(
            t.device.type != "cpu" for t in (vision_features, masks)
        ):
            out: tuple[torch.Tensor, torch.Tensor] = self.torch_encoder(vision_features, masks)
            return out
        arrays = {0: _as_array(vision_features), 1: _as_array(masks)}
        result = self._request.infer(arrays, share_inputs=True, share_outputs=False)
        self.compiled_calls += 1
        features = torch.from_numpy(result[0])
        position: Any = self.torch_encoder.position_encoding
        return features, position(features.shape, features.device, features.dtype)
