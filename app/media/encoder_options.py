"""Check ``--crf`` and ``--preset`` against the chosen codec before any work starts.

Why: FFmpeg either accepts a nonsense value silently (x264 clamps ``crf=999``) or fails deep in
the first encoded frame with an av ArgumentError after tracking has already run. The ranges
below are the encoders' own (x264/x265 8-bit CRF 0–51, libvpx-vp9 0–63); ProRes and FFV1 have
no CRF or preset, so asking for one is an error rather than a silent no-op.
"""

from __future__ import annotations

from app.errors import InvalidOption

__all__ = ["CRF_RANGES", "PRESETS", "check_encoder_options"]

#: codec → inclusive CRF range (lower is better quality)
CRF_RANGES: dict[str, tuple[int, int]] = {"h264": (0, 51), "hevc": (0, 51), "vp9": (0, 63)}

_X26X_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)
#: codec → speed presets its encoder knows
PRESETS: dict[str, tuple[str, ...]] = {"h264": _X26X_PRESETS, "hevc": _X26X_PRESETS}


def check_encoder_options(codec: str, crf: int | None, preset: str | None) -> None:
    """`InvalidOption` naming the option, the codec and what it takes; None values are fine."""
    if crf is not None:
        limits = CRF_RANGES.get(codec)
        if limits is None:
            raise InvalidOption(
                f"--crf {crf}: codec {codec} has no CRF quality setting "
                f"(it is {'lossless' if codec == 'ffv1' else 'fixed-quality'}); "
                f"drop --crf or use {', '.join(CRF_RANGES)}"
            )
        lo, hi = limits
        if isinstance(crf, bool) or not isinstance(crf, int) or not lo <= crf <= hi:
            raise InvalidOption(
                f"--crf {crf}: codec {codec} takes {lo} to {hi} (lower is better quality)"
            )
    if preset is not None:
        names = PRESETS.get(codec)
        if names is None:
            raise InvalidOption(
                f"--preset {preset}: codec {codec} has no speed presets; drop "
                f"--preset or use {' or '.join(PRESETS)}"
            )
        if preset not in names:
            raise InvalidOption(f"--preset {preset!r}: codec {codec} takes {', '.join(names)}")
