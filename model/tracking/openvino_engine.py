"""OpenVINO for EdgeTAM on the CPU: the image encoder and the memory attention as compiled graphs.

The RepViT backbone + FPN neck (≈ half of an EdgeTAM step in torch eager) and the memory
attention (≈ a quarter) are exported once per model to OpenVINO IR and run as compiled graphs, in
fp32 (explicitly: on CPUs with bf16 units OpenVINO would otherwise pick bf16, which moves masks).
The memory attention graph has the steady state's token counts baked in (full memory bank, the
usual case after the first 16 frames); other shapes run the torch module. Everything else —
prompt encoder, mask decoder, memory encoder, perceiver, the memory bank itself — stays in
transformers' own torch code, so control flow is the library's; only float rounding differs.

The IR lives in the weights' cache root (``ROTOKIT_CACHE`` or the Hugging Face hub cache) under
``rotokit-compiled/<key>/``, the key hashing the encoder's weights, the input size and the
openvino / transformers / timm versions, so a new library or new weights export again and a
second start only reads the IR (plus OpenVINO's own compiled-blob cache in the same folder).
``openvino`` is an optional extra (``pip install rotokit[openvino]``); without it, or for
another model family or device, tracking runs in torch eager.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    import openvino as ov
    from transformers import EdgeTamVideoConfig, EdgeTamVideoModel
    from transformers.models.edgetam.modeling_edgetam import (
        EdgeTamVisionEncoderOutput,
        EdgeTamVisionModel,
    )

__all__ = [
    "ENGINE_TORCH",
    "accelerate",
    "available",
    "compiled_cache_dir",
    "encoder_key",
    "engine_label",
    "steady_memory_shape",
]

log = logging.getLogger(__name__)

ENGINE_TORCH = "torch eager"
EXPORT_FORMAT = 1  # bump when what is exported changes
_CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def compiled_cache_dir() -> Path:
    """Beside the weights: ``$ROTOKIT_CACHE`` or the Hugging Face hub cache,
    ``rotokit-compiled``."""
    from model import registry

    root = registry.cache_dir()
    if root is None:
        from huggingface_hub import constants

        root = Path(constants.HF_HUB_CACHE)
    return root / "rotokit-compiled"


def _versions() -> str:
    import openvino
    import timm
    import transformers

    return (
        f"ov{openvino.get_version().split('-')[0]}-tf{transformers.__version__}"
        f"-timm{timm.__version__}-f{EXPORT_FORMAT}"
    )


def encoder_key(modules: list[nn.Module], image_size: int) -> str:
    """Hash of the exported modules' (inference-folded) weights + input size + library versions."""
    digest = hashlib.blake2b(digest_size=12)
    for name, tensor in ((n, t) for m in modules for n, t in m.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(f"{image_size}-{_versions()}".encode())
    return digest.hexdigest()


class _FeatureMaps(nn.Module):
    """The traced part: pixels → the FPN feature maps the video model reads (3 levels)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.encoder(pixel_values, return_dict=True).fpn_hidden_states)


class OpenVinoVisionEncoder(nn.Module):
    """Drop-in for ``model.vision_encoder``: same output type and fields the video model reads.

    Position encodings depend only on the shape and come from the torch neck (cached there).
    Any input but the exported 1×3×S×S frame goes to the torch encoder it wraps."""

    def __init__(
        self,
        torch_encoder: EdgeTamVisionModel,
        compiled: ov.CompiledModel,
        image_size: int,
        output_cls: type[EdgeTamVisionEncoderOutput],
    ) -> None:
        super().__init__()
        self.torch_encoder = torch_encoder
        self.config = torch_encoder.config
        self._compiled = compiled
        self._request = compiled.create_infer_request()
        self._shape = (1, 3, image_size, image_size)
        self._output_cls = output_cls

    def forward(self, pixel_values: torch.Tensor, **kwargs: Any) -> EdgeTamVisionEncoderOutput:
        if tuple(pixel_values.shape) != self._shape or pixel_values.device.type != "cpu":
            out: EdgeTamVisionEncoderOutput = self.torch_encoder(pixel_values, **kwargs)
            return out
        x = pixel_values.detach().to(torch.float32).contiguous().numpy()
        result = self._request.infer({0: x}, share_inputs=True, share_outputs=False)
        maps = [torch.from_numpy(result[k]) for k in range(len(self._compiled.outputs))]
        position = self.torch_encoder.neck.position_encoding
        encodings = [position(m.shape, m.device, m.dtype) for m in maps]
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


class _SteadyMemoryAttention(nn.Module):
    """The traced part: memory attention with the steady state's token counts baked in."""

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


def _memory_example(config: EdgeTamVideoConfig) -> tuple[torch.Tensor, ...]:
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
        arrays = {
            k: t.detach().to(torch.float32).contiguous().numpy() for k, t in enumerate(tensors)
        }
        result = self._request.infer(arrays, share_inputs=True, share_outputs=False)
        self.compiled_calls += 1
        return torch.from_numpy(result[0])


def _export(
    encoder: nn.Module,
    image_size: int,
    folder: Path,
    memory_attention: nn.Module,
    config: EdgeTamVideoConfig,
) -> None:
    """Trace + convert both graphs to IR (fp32 weights kept: ``compress_to_fp16=False``), into a
    temp folder renamed into place."""
    import openvino as ov

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        example = torch.zeros(1, 3, image_size, image_size)
        with torch.no_grad():
            graph = ov.convert_model(_FeatureMaps(encoder).eval(), example_input=example)
        ov.save_model(graph, str(tmp / "vision_encoder.xml"), compress_to_fp16=False)
        frames, pointers, _ = steady_memory_shape(config)
        with torch.no_grad():
            graph = ov.convert_model(
                _SteadyMemoryAttention(memory_attention, frames, pointers).eval(),
                example_input=_memory_example(config),
            )
        ov.save_model(graph, str(tmp / "memory_attention.xml"), compress_to_fp16=False)
        try:
            tmp.rename(folder)
        except OSError:  # another process exported the same key meanwhile
            if not (folder / "memory_attention.xml").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def accelerate(model: EdgeTamVideoModel, image_size: int, threads: int | None = None) -> str:
    """Run ``model``'s image encoder and steady-state memory attention through OpenVINO (export
    on first use, then read from the cache); returns the engine label for the status bar / CLI,
    or raises for the caller to fall back on torch."""
    import openvino as ov

    encoder, attention = model.vision_encoder, model.memory_attention
    if isinstance(encoder, OpenVinoVisionEncoder):
        return engine_label()
    from transformers.models.edgetam.modeling_edgetam import EdgeTamVisionEncoderOutput

    folder = compiled_cache_dir() / encoder_key([encoder, attention], image_size)
    if not (folder / "memory_attention.xml").is_file():
        log.warning(
            "rotokit: exporting the image encoder and memory attention to OpenVINO (once per model "
            "and library version, a minute or two) into %s",
            folder,
        )
        t0 = time.perf_counter()
        _export(encoder, image_size, folder, attention, model.config)
        log.warning("rotokit: OpenVINO export done in %.0f s", time.perf_counter() - t0)
    core = ov.Core()
    config: dict[str, str | int] = dict(_CONFIG, CACHE_DIR=str(folder / "blob"))
    config["INFERENCE_NUM_THREADS"] = int(threads or torch.get_num_threads() or os.cpu_count() or 1)
    compiled_encoder = core.compile_model(str(folder / "vision_encoder.xml"), "CPU", config)
    compiled_attention = core.compile_model(str(folder / "memory_attention.xml"), "CPU", config)
    model.vision_encoder = OpenVinoVisionEncoder(
        encoder, compiled_encoder, image_size, EdgeTamVisionEncoderOutput
    )
    model.memory_attention = OpenVinoMemoryAttention(  # type: ignore[assignment]  # drop-in
        attention, compiled_attention, steady_memory_shape(model.config)
    )
    return engine_label()


def engine_label() -> str:
    import openvino as ov

    return (
        f"OpenVINO {ov.get_version().split('-')[0]} fp32 (image encoder, memory attention) + torch"
    )
