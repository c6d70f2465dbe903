"""A loaded tracking model on a device, ready to open sessions on clips."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from model import registry
from model.errors import ModelError
from model.tracking import openvino_engine
from model.tracking.hf_backend import HFBackend
from model.tracking.preprocess import PreprocessConfig
from model.tracking.speedups import optimize_for_inference
from model.tracking.types import VideoModel

__all__ = ["Tracker", "pick_device"]

log = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` → cuda, then Apple mps, then cpu; an explicit name must be available."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ModelError(
            f"device {device!r}: not a device name (use auto, cpu, cuda or mps)"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"device {device!r}: CUDA is not available on this machine")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ModelError(f"device {device!r}: Apple MPS is not available on this machine")
    return dev


def pick_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype: bf16 on CUDA; on CPU only when asked (``bf16``), fp32 otherwise."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ModelError(f"precision {precision!r}: use auto, fp32 or bf16")
    if precision == "fp32" or device.type == "mps":
        return None
    if precision == "bf16" or device.type == "cuda":
        return torch.bfloat16
    return None


def _configure_cpu() -> None:
    """Use every core for torch's intra-op threads (torch defaults to physical cores only),
    unless OMP_NUM_THREADS says otherwise (e.g. several processes sharing a machine)."""
    requested = os.environ.get("OMP_NUM_THREADS", "")
    torch.set_num_threads(
        int(requested) if requested.isdigit() and int(requested) > 0 else os.cpu_count() or 1
    )


ENGINES = ("auto", "openvino", "torch")
#: default engine: ``auto`` = the OpenVINO graphs for EdgeTAM on the CPU when the ``openvino``
#: extra is installed, torch eager otherwise (README, P8); ``ROTOKIT_ENGINE=torch`` opts out
ENGINE_ENV = "ROTOKIT_ENGINE"


def default_engine() -> str:
    return os.environ.get(ENGINE_ENV, "auto")


def warm_imports() -> None:
    """Import transformers' SAM 2 / EdgeTAM model code, timm's RepViT and OpenVINO ahead of
    ``Tracker.load``: on a fresh process they are most of a cold start (≈ 2.9 s of ≈ 4 s on 2
    cores: the `auto` vs `auto+warm` rows of `bench/tracking.py --only cold`). The
    editor runs this on a background thread while its window opens."""
    from timm.models import repvit  # noqa: F401
    from transformers import EdgeTamVideoModel, Sam2VideoModel  # noqa: F401

    if openvino_engine.available():
        import openvino  # noqa: F401


def _pick_engine(model: VideoModel, engine: str, device: torch.device) -> str:
    """Run EdgeTAM's image encoder through OpenVINO on the CPU when it is installed (``auto``);
    returns the engine label. ``openvino`` insists (error if impossible); ``torch`` never tries."""
    if engine not in ENGINES:
        raise ModelError(f"engine {engine!r}: use {', '.join(ENGINES)}")
    if engine == "torch":
        return openvino_engine.ENGINE_TORCH
    from transformers import EdgeTamVideoModel

    if device.type != "cpu" or not isinstance(model, EdgeTamVideoModel):
        if engine == "openvino":
            raise ModelError("engine 'openvino' runs EdgeTAM models on the CPU only")
        return openvino_engine.ENGINE_TORCH
    if not openvino_engine.available():
        if engine == "openvino":
            raise ModelError(
                "engine 'openvino': the openvino package is not installed "
                "(pip install 'rotokit[openvino]')"
            )
        return f"{openvino_engine.ENGINE_TORCH} (OpenVINO not installed)"
    try:
        return openvino_engine.accelerate(model, _image_size(model))
    except Exception as exc:  # export/compile problems on an unusual setup: torch still works
        if engine == "openvino":
            raise ModelError(f"engine 'openvino' failed: {type(exc).__name__}: {exc}") from None
        log.warning(
            "rotokit: OpenVINO unavailable for this model (%s: %s); using torch",
            type(exc).__name__,
            exc,
        )
        return f"{openvino_engine.ENGINE_TORCH} (OpenVINO failed)"


def _load_model(folder: Path) -> VideoModel:
    from transformers import EdgeTamVideoModel, Sam2VideoModel

    cls: type[VideoModel] = (
        EdgeTamVideoModel if registry.read_kind(folder) == "edgetam" else Sam2VideoModel
    )
    from safetensors import SafetensorError

    try:
        model = cls.from_pretrained(folder, use_safetensors=True, attn_implementation="sdpa")
        model.eval()  # type: ignore[no-untyped-call]  # transformers' eval() is unannotated
        return model
    except SafetensorError as exc:  # garbage, truncated or foreign bytes in model.safetensors
        raise ModelError(
            f"{folder / registry.WEIGHTS_FILE}: not a readable safetensors weights "
            f"file ({exc}); download the model again"
        ) from None
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: tensor shapes mismatch
        raise ModelError(f"{folder}: cannot load model weights ({exc})") from None


def _image_size(model: VideoModel) -> int:
    size = model.config.image_size
    return int(size[0] if isinstance(size, (list, tuple)) else size)


@dataclass
class Tracker:
    """A model + device. ``Tracker.load()`` picks both; sessions are opened with
    ``TrackingSession``."""

    backend: HFBackend
    name: str
    device: torch.device
    random_weights: bool = False
    optimizations: list[str] = field(default_factory=list)
    engine: str = openvino_engine.ENGINE_TORCH  # what runs the network, for CLI/status bar

    @classmethod
    def load(
        cls,
        name: str = "auto",
        weights: str | os.PathLike[str] | None = None,
        device: str = "auto",
        offline: bool = False,
        optimize: bool = True,
        progress: bool = True,
        precision: str = "auto",
        engine: str | None = None,
    ) -> Tracker:
        """Load a registry model (``auto`` = the device's default) or ``weights``, a local
        Hugging Face-format folder. Random test models are built, never downloaded."""
        dev = pick_device(device)
        if dev.type == "cpu":
            _configure_cpu()
        if name == "auto":
            name = registry.default_model(dev.type)
        preprocess = None
        if weights is not None:
            folder = registry.resolve_weights(weights, offline=offline, progress=progress)
            model = _load_model(folder)
            preprocess = PreprocessConfig.from_folder(folder, _image_size(model))
            label = str(weights)
        elif registry.is_random(name):
            if name not in registry.MODELS:
                registry.resolve_weights(name)  # raises the "unknown model" error
            from model.testmodels import build_random_model

            model = build_random_model(name)
            label = name
        else:
            folder = registry.resolve_weights(name, offline=offline, progress=progress)
            model = _load_model(folder)
            preprocess = PreprocessConfig.from_folder(folder, _image_size(model))
            label = name
        return cls.from_model(
            model,
            name=label,
            device=dev,
            optimize=optimize,
            random_weights=registry.is_random(name) and weights is None,
            precision=precision,
            preprocess=preprocess,
            engine=engine,
        )

    @classmethod
    def from_model(
        cls,
        model: VideoModel,
        name: str,
        device: torch.device | str = "cpu",
        optimize: bool = True,
        random_weights: bool = False,
        precision: str = "auto",
        preprocess: PreprocessConfig | None = None,
        engine: str | None = None,
    ) -> Tracker:
        """Wrap an already-built transformers model (tests, benches, custom checkpoints);
        ``preprocess`` defaults to SAM 2's processor settings at the model's input size.
        ``engine`` (default `default_engine()`): ``torch``, ``openvino`` or ``auto``;
        ``optimize=False`` keeps the plain torch model whatever ``engine``."""
        dev = torch.device(device)
        # transformers wraps Module.to with functools.wraps, which hides its signature from mypy
        model.to(dev)  # type: ignore[arg-type]
        model.eval()  # type: ignore[no-untyped-call]  # transformers' eval() is unannotated
        applied = optimize_for_inference(model) if optimize else []
        if random_weights:
            log.warning("rotokit: tracking with RANDOM weights (%s): masks are meaningless", name)
        autocast = pick_precision(precision, dev)
        if autocast is not None:
            applied.append(f"{dev.type} autocast {str(autocast).removeprefix('torch.')}")
        engine = default_engine() if engine is None else engine
        label = _pick_engine(model, engine if optimize and autocast is None else "torch", dev)
        return cls(
            HFBackend(model, name, dev, autocast, preprocess),
            name,
            dev,
            random_weights,
            applied,
            label,
        )

    @property
    def image_size(self) -> int:
        return self.backend.image_size
