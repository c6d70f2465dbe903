"""Randomly initialised models with the real (or a scaled-down) architecture, for tests and benches.

The SAM 2.1 Hiera sizes follow Meta's ``sam2.1_hiera_{t,s,b+,l}.yaml``; EdgeTAM is RepViT-M1
through timm plus the 2D spatial perceiver. The backbone config of EdgeTAM is given explicitly:
transformers 5.24's default ``EdgeTamVisionConfig`` misspells its timm key (``archirecture``)
and silently builds another backbone. timm is asked for ``pretrained=False`` by transformers, so
building never touches the network.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import torch
from torch import nn

from model.tracking.types import VideoModel

if TYPE_CHECKING:
    from transformers import EdgeTamVideoConfig, Sam2VideoConfig

__all__ = [
    "architecture_config",
    "build_random_model",
    "make_nontrivial",
    "RANDOM_SEED",
    "HYPERNETWORK_GAIN",
]

log = logging.getLogger(__name__)
VideoConfig: TypeAlias = "Sam2VideoConfig | EdgeTamVideoConfig"
RANDOM_SEED = 0
HYPERNETWORK_GAIN = 300.0  # mask logits of the random decoder reach about +-3 (DESIGN.md section 5)
OBJECT_SCORE_BIAS = 10.0  # "object present" on every frame

# name: (blocks_per_stage, embed_dim, heads, global_attention_blocks, window_spec, window_bkg)
_HIERA = {
    "sam2.1-tiny": ([1, 2, 7, 2], 96, 1, [5, 7, 9], [8, 4, 14, 7], [7, 7]),
    "sam2.1-small": ([1, 2, 11, 2], 96, 1, [7, 10, 13], [8, 4, 14, 7], [7, 7]),
    "sam2.1-base-plus": ([2, 3, 16, 3], 112, 2, [12, 16, 20], [8, 4, 14, 7], [14, 14]),
    "sam2.1-large": ([2, 6, 36, 4], 144, 2, [23, 33, 43], [8, 4, 16, 8], [7, 7]),
}
_ALIASES = {
    "test-random-tiny": "sam2.1-tiny",
    "test-random-edgetam": "edgetam",
}


def _sam2_config(name: str) -> Sam2VideoConfig:
    from transformers import Sam2VideoConfig

    blocks, dim, heads, global_blocks, window, bkg = _HIERA[name]
    dims = [dim, dim * 2, dim * 4, dim * 8]
    return Sam2VideoConfig(
        vision_config=dict(
            model_type="sam2_vision_model",
            backbone_config=dict(
                model_type="sam2_hiera_det_model",
                hidden_size=dim,
                num_attention_heads=heads,
                blocks_per_stage=blocks,
                embed_dim_per_stage=dims,
                num_attention_heads_per_stage=[heads, heads * 2, heads * 4, heads * 8],
                window_size_per_stage=window,
                global_attention_blocks=global_blocks,
                window_positional_embedding_background_size=bkg,
            ),
            backbone_channel_list=dims[::-1],
        )
    )


def _edgetam_backbone(architecture: str) -> dict[str, Any]:
    from transformers import TimmWrapperConfig

    return TimmWrapperConfig(
        architecture=architecture,
        model_args={"in_chans": 3, "features_only": True, "out_indices": [0, 1, 2, 3]},
    ).to_dict()


def _edgetam_config() -> EdgeTamVideoConfig:
    from transformers import EdgeTamVideoConfig

    return EdgeTamVideoConfig(
        vision_config=dict(
            model_type="edgetam_vision_model",
            backbone_config=_edgetam_backbone("repvit_m1"),
            backbone_channel_list=[384, 192, 96, 48],
        )
    )


# The micro models: 256 px input, 128-wide heads (must stay above the 64-wide memory, which the
# memory attention hard-codes), one or two layers where the full model has four.
_MICRO_SIZE = 256
_MICRO_HIDDEN = 128


def _micro_common() -> dict[str, Any]:
    size, hidden = _MICRO_SIZE, _MICRO_HIDDEN
    return dict(
        image_size=size,
        prompt_encoder_config=dict(hidden_size=hidden, image_size=size, patch_size=16),
        mask_decoder_config=dict(
            hidden_size=hidden, mlp_dim=256, num_attention_heads=2, iou_head_hidden_dim=hidden
        ),
        memory_attention_hidden_size=hidden,
        memory_attention_rope_feat_sizes=[size // 16, size // 16],
        memory_encoder_hidden_size=hidden,
        memory_encoder_output_channels=64,
        mask_downsampler_embed_dim=hidden,
        memory_fuser_embed_dim=hidden,
        memory_fuser_intermediate_dim=4 * hidden,
    )


def _feature_sizes(size: int) -> list[list[int]]:
    return [[size // 4] * 2, [size // 8] * 2, [size // 16] * 2]


def _micro_sam2_config() -> Sam2VideoConfig:
    from transformers import Sam2VideoConfig

    size = _MICRO_SIZE
    return Sam2VideoConfig(
        vision_config=dict(
            model_type="sam2_vision_model",
            backbone_config=dict(
                model_type="sam2_hiera_det_model",
                image_size=[size, size],
                hidden_size=16,
                blocks_per_stage=[1, 1, 2, 1],
                embed_dim_per_stage=[16, 32, 64, 128],
                num_attention_heads_per_stage=[1, 1, 1, 1],
                window_size_per_stage=[8, 4, 4, 2],
                global_attention_blocks=[3],
                window_positional_embedding_background_size=[4, 4],
            ),
            backbone_channel_list=[128, 64, 32, 16],
            backbone_feature_sizes=_feature_sizes(size),
            fpn_hidden_size=_MICRO_HIDDEN,
        ),
        memory_attention_num_layers=2,
        memory_attention_feed_forward_hidden_size=256,
        **_micro_common(),
    )


def _micro_edgetam_config() -> EdgeTamVideoConfig:
    from transformers import EdgeTamVideoConfig

    return EdgeTamVideoConfig(
        vision_config=dict(
            model_type="edgetam_vision_model",
            backbone_config=_edgetam_backbone("repvit_m0_9"),
            backbone_channel_list=[384, 192, 96, 48],
            backbone_feature_sizes=_feature_sizes(_MICRO_SIZE),
            fpn_hidden_size=_MICRO_HIDDEN,
        ),
        memory_attention_num_layers=1,
        memory_attention_mlp_hidden_size=256,
        **_micro_common(),
    )


def architecture_config(name: str) -> VideoConfig:
    """transformers config of a registry model's architecture (no weights needed)."""
    name = _ALIASES.get(name, name)
    if name in _HIERA:
        return _sam2_config(name)
    if name == "edgetam":
        return _edgetam_config()
    if name == "test-random-micro":
        return _micro_sam2_config()
    if name == "test-random-micro-edgetam":
        return _micro_edgetam_config()
    raise KeyError(f"no architecture config for model {name!r}")


@torch.no_grad()
def make_nontrivial(model: VideoModel) -> VideoModel:
    """Make a random model's masks worth comparing (DESIGN.md section 5, in place).

    Plain random SAM 2 / EdgeTAM weights say "no object" after the prompt frame (masks empty,
    logits -1024) and give +-0.01 logits on it, so any two implementations "agree". With the
    object-score head pinned to +10 and the hypernetwork outputs scaled by 300, masks cover
    roughly 40-75 % of the frame with logits of about +-3 that depend on image and prompt.
    """
    decoder = model.mask_decoder
    head = decoder.pred_obj_score_head.proj_out
    head.weight.zero_()
    head.bias.fill_(OBJECT_SCORE_BIAS)
    for mlp in decoder.output_hypernetworks_mlps:  # a ModuleList of the family's FeedForward
        cast(nn.Linear, mlp.proj_out).weight.mul_(HYPERNETWORK_GAIN)
    return model


def build_random_model(name: str, nontrivial: bool = True) -> VideoModel:
    """A randomly initialised model (fixed seed): identical weights on every call.

    ``nontrivial`` (the default, used by every ``test-random-*`` model) applies
    ``make_nontrivial`` so that masks are neither empty nor full; ``False`` gives the plain
    initialisation.
    """
    from transformers import EdgeTamVideoConfig, EdgeTamVideoModel, Sam2VideoModel

    config = architecture_config(name)
    log.warning(
        "rotokit: model %r has RANDOM weights (seed %d): for tests and benchmarks only, "
        "masks are meaningless",
        name,
        RANDOM_SEED,
    )
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(RANDOM_SEED)
        model: VideoModel = (
            EdgeTamVideoModel(config)
            if isinstance(config, EdgeTamVideoConfig)
            else Sam2VideoModel(config)
        )
    finally:
        torch.random.set_rng_state(state)
    if nontrivial:
        make_nontrivial(model)
    model.eval()  # type: ignore[no-untyped-call]  # transformers' eval() is unannotated
    return model
