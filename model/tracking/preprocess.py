"""Frame → model input and low-res logits → frame-size mask, exactly as transformers' processor.

SAM 2 was trained on frames resized *with antialiasing*: transformers' ``Sam2VideoProcessor``
resizes with torchvision (``antialias=True``, bilinear by default), then rescales and normalises
with the statistics in the model folder's processor config. A plain ``cv2.INTER_LINEAR`` resize
differs from it by up to 23 grey levels at 1080p (it skips most pixels when shrinking 4K), so we
call the very same torchvision function on our RGB frames (no PIL round trip, no per-clip batch)
and apply the same fused normalisation: the tensors are identical to the processor's.

Masks come back as ``Sam2VideoProcessor.post_process_masks`` makes them: one bilinear upsampling of
the low-res logits to the frame size and a threshold at 0. (The *video* processor's own
``post_process_masks`` goes through the input size first; the documented loop does not use it.)
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from model.errors import ModelError

__all__ = ["PreprocessConfig", "Preprocessor", "logits_to_masks"]

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# PIL resample codes (what processor configs store) -> torchvision interpolation names
_RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic"}
# Where a Hugging Face model folder keeps its video processor settings, most specific first.
_CONFIG_FILES = (
    "processor_config.json",
    "video_preprocessor_config.json",
    "preprocessor_config.json",
)


@dataclass(frozen=True)
class PreprocessConfig:
    """The video processor settings that change pixels (transformers' names and defaults)."""

    height: int
    width: int
    image_mean: tuple[float, ...] = IMAGENET_MEAN
    image_std: tuple[float, ...] = IMAGENET_STD
    rescale_factor: float = 1 / 255
    do_resize: bool = True
    do_rescale: bool = True
    do_normalize: bool = True
    resample: int = 2  # PIL code: 2 bilinear, 3 bicubic, 0 nearest

    @classmethod
    def defaults(cls, image_size: int) -> PreprocessConfig:
        """``Sam2VideoVideoProcessor``'s own defaults at the model's input size."""
        return cls(image_size, image_size)

    @classmethod
    def from_dict(
        cls, values: dict[str, Any], image_size: int, source: str = "processor config"
    ) -> PreprocessConfig:
        size = values.get("size", {"height": image_size, "width": image_size})
        if not isinstance(size, dict) or "height" not in size or "width" not in size:
            raise ModelError(
                f"{source}: size {size!r} is not {{height, width}} (not a SAM 2 video processor)"
            )
        config = cls(
            height=int(size["height"]),
            width=int(size["width"]),
            image_mean=tuple(float(v) for v in values.get("image_mean", IMAGENET_MEAN)),
            image_std=tuple(float(v) for v in values.get("image_std", IMAGENET_STD)),
            rescale_factor=float(values.get("rescale_factor", 1 / 255)),
            do_resize=bool(values.get("do_resize", True)),
            do_rescale=bool(values.get("do_rescale", True)),
            do_normalize=bool(values.get("do_normalize", True)),
            resample=int(values.get("resample", 2)),
        )
        if config.resample not in _RESAMPLE:
            raise ModelError(
                f"{source}: resample {config.resample} is not supported "
                "(bilinear 2, bicubic 3, nearest 0)"
            )
        if (config.height, config.width) != (image_size, image_size):
            raise ModelError(
                f"{source}: resizes to {config.width}x{config.height} "
                f"but the model takes {image_size}x{image_size}"
            )
        return config

    @classmethod
    def from_folder(cls, folder: str | Path, image_size: int) -> PreprocessConfig:
        """Read the video processor settings of a Hugging Face model folder (defaults if none)."""
        folder = Path(folder)
        for name in _CONFIG_FILES:
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelError(f"{path}: unreadable processor config ({exc})") from None
            section = data.get("video_processor", data.get("image_processor", data))
            if "size" in section or "image_mean" in section:
                return cls.from_dict(section, image_size, str(path))
        log.warning(
            "rotokit: %s has no processor config; using SAM 2's defaults (ImageNet mean/std, "
            "bilinear antialiased resize to %d)",
            folder,
            image_size,
        )
        return cls.defaults(image_size)


class Preprocessor:
    """RGB uint8 H×W×3 → float32 3×h×w, the same tensor ``Sam2VideoProcessor`` makes."""

    def __init__(self, config: PreprocessConfig | int) -> None:
        if isinstance(config, int):
            config = PreprocessConfig.defaults(config)
        self.config = config
        self.size = (config.height, config.width)
        mean, std = torch.tensor(config.image_mean), torch.tensor(config.image_std)
        if config.do_rescale and config.do_normalize:  # fused, as transformers does it
            mean, std = mean * (1.0 / config.rescale_factor), std * (1.0 / config.rescale_factor)
        # float32 numpy copies: the same IEEE float32 subtract and divide as torch's, single-
        # threaded (torch's elementwise ops on a shared 2-core machine stall on their thread pool)
        self._mean = mean.numpy().astype(np.float32).reshape(-1, 1, 1)
        self._std = std.numpy().astype(np.float32).reshape(-1, 1, 1)
        from torchvision.transforms.v2 import InterpolationMode

        self._interpolation = InterpolationMode(_RESAMPLE[config.resample])

    def resize(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 1×3×h×w, antialiased like the processor (torchvision's own resize)."""
        from torchvision.transforms.v2 import functional as tvF

        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
        with warnings.catch_warnings():  # decoded frames may be read-only; we never write to them
            warnings.simplefilter("ignore", UserWarning)
            x = torch.from_numpy(rgb).permute(2, 0, 1)[None]  # a channels-last view, no copy
        if not self.config.do_resize:
            return x
        resized: torch.Tensor = tvF.resize(
            x, list(self.size), interpolation=self._interpolation, antialias=True
        )
        return resized

    def __call__(self, rgb: np.ndarray) -> torch.Tensor:
        x = np.ascontiguousarray(self.resize(rgb)[0].numpy()).astype(np.float32)  # 3×h×w
        config = self.config
        if config.do_normalize:
            x -= self._mean
            x /= self._std
        elif config.do_rescale:
            x *= np.float32(config.rescale_factor)
        return torch.from_numpy(x)


def logits_to_masks(logits: torch.Tensor, height: int, width: int) -> npt.NDArray[np.bool_]:
    """N×1×h×w (or N×h×w) mask logits → N×H×W bool at frame size, as the processor's
    ``post_process_masks`` does it: one bilinear upsampling, threshold at 0 (no hole filling)."""
    if logits.dim() == 3:
        logits = logits[:, None]
    up = F.interpolate(logits.float(), size=(height, width), mode="bilinear", align_corners=False)
    masks: npt.NDArray[np.bool_] = (up[:, 0] > 0).cpu().numpy()
    return masks
