"""Render a project: decode → masks from the store → effects → encode, audio kept.

Streaming frame by frame (memory flat in clip length), with progress, cancel and an atomic
output: the writer renders into a temp file that is renamed only when every frame and the audio
are in, so a cancelled or failed render never leaves a partial file at the output path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np

from app.errors import Cancelled, ExportError
from app.media import Frame, FrameSource, VideoWriter
from app.media.encoder_options import check_encoder_options
from app.paths import check_output, project_inputs
from app.pipeline import ahead
from app.project import MaskStore, Project, check_video, masks_path_for
from app.project.validation import effect_with_project_paths
from app.tracking_job import TrackResult, frame_bounds, require_masks, track_stale

if TYPE_CHECKING:
    from effects import Compositor, Effect

__all__ = ["RenderResult", "render", "build_compositor", "write_composed", "ALPHA_CODECS"]

ProgressFn = Callable[[int, int], None]
LogFn = Callable[[str], None]

#: codecs whose output keeps the alpha channel a cut-out effect produces
ALPHA_CODECS = frozenset({"prores", "ffv1"})


@dataclass
class RenderResult:
    output: Path
    frames: int
    seconds: float
    tracked: list[int]  # objects tracked first
    tracking: TrackResult | None = None  # what that tracking computed

    def summary(self) -> str:
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        t = self.tracking
        tracked = (
            f"; tracked {len(t.objects)} object(s) first, computing {t.frames} frames"
            + (f" ({t.resumed} resumed)" if t.resumed else "")
            if t and t.objects
            else ""
        )
        return (
            f"wrote {self.output} ({self.frames} frames in {self.seconds:.1f} s, "
            f"{fps:.1f} frames/s{tracked})"
        )


def build_compositor(project: Project) -> Compositor:
    """The effects compositor for a project's current effect stacks (validated)."""
    from effects import Compositor, ObjectLayer, parse_effect

    base = project.path.parent if project.path is not None else None

    def parse(effect: dict[str, Any]) -> Effect:
        return parse_effect(effect_with_project_paths(effect, base))

    background = [parse(e) for e in project.background_effects]
    layers = [
        ObjectLayer(obj.id, [parse(e) for e in obj.effects], visible=obj.visible)
        for obj in project.objects
    ]
    return Compositor(background, layers)


def _flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """Composite an RGBA frame over black for codecs without alpha."""
    alpha = rgba[..., 3:4].astype(np.uint16)
    return ((rgba[..., :3].astype(np.uint16) * alpha + 127) // 255).astype(np.uint8)


def write_composed(
    writer: VideoWriter,
    frames: Iterable[Frame],
    compose: Callable[[Frame], np.ndarray],
    written: Callable[[Frame], None] | None = None,
) -> None:
    """Decode `frames`, `compose` each into an image and encode it, on three threads.

    Decoding; composing + the writer's colour conversion; encoding + muxing (this thread) run
    as stages joined by `ahead` queues, so they overlap on separate cores (FFmpeg, OpenCV and
    NumPy release the GIL): bench/render.py measures a render at 1.0–1.1× a plain transcode.
    `written(frame)` runs on this thread after each frame is encoded (progress; raising there,
    e.g. `Cancelled`, stops and joins every stage).
    """

    def composed(decoded: Iterable[Frame]) -> Iterator[tuple[Frame, av.VideoFrame]]:
        for frame in decoded:
            yield frame, writer.to_frame(compose(frame))

    with (
        ahead(frames, name="rotokit-decode") as decoded,
        ahead(composed(decoded), name="rotokit-effects") as ready,
    ):
        for frame, video_frame in ready:
            writer.write_frame(video_frame, frame.pts)
            if written is not None:
                written(frame)


def render(
    project: Project,
    output: str | Path,
    *,
    codec: str = "h264",
    crf: int | None = None,
    preset: str | None = None,
    model: str | None = "auto",
    offline: bool = False,
    keep_audio: bool = True,
    frame_range: tuple[int, int] | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    log: LogFn | None = None,
) -> RenderResult:
    """Write the edited video to `output`; track first where masks are missing or stale.

    `frame_range` ([start, end), end -1 = last frame) renders part of the clip: the output
    starts at time 0 and the audio is cut to the same span.
    """
    started = time.perf_counter()
    output = Path(output)
    if project.path is None:
        raise ExportError("save the project before rendering (its masks live beside it)")
    check_output(output, project_inputs(project))
    check_encoder_options(codec, crf, preset)
    current = check_video(project)
    compositor = build_compositor(project)  # validate effects before any slow work
    start, stop = frame_bounds(
        project, current.frame_count, frame_range
    )  # RangeError if past the clip

    tracked = track_stale(
        project,
        model=model,
        offline=offline,
        frame_range=(start, stop),
        on_progress=on_progress,
        cancel=cancel,
        log=log,
    )

    keep_alpha = codec in ALPHA_CODECS
    with (
        FrameSource(project.video_path) as frames,
        MaskStore(masks_path_for(project.path), readonly=True) as store,
    ):
        store.check_video(current, project.video_path)
        require_masks(project, store, start, stop)
        total = stop - start
        audio_from = project.video_path if keep_audio else None
        with VideoWriter(
            output,
            source=frames.info,
            codec=codec,
            crf=crf,
            preset=preset,
            audio_from=audio_from,
            alpha=keep_alpha,
        ) as writer:
            prompted = {obj.id for obj in project.objects if obj.prompts}

            def compose(frame: Frame) -> np.ndarray:
                masks, boxes = store.frame_masks_and_boxes(frame.index)
                if not prompted.issuperset(masks):  # leftovers of objects whose prompts went
                    masks = {k: v for k, v in masks.items() if k in prompted}
                out = compositor.render(frame.index, frame.rgb, masks, boxes=boxes)
                return out if out.shape[2] == 3 or keep_alpha else _flatten_alpha(out)

            def written(frame: Frame) -> None:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"render of {output} stopped; no output was written")
                if on_progress:
                    on_progress(frame.index + 1 - start, total)

            try:
                write_composed(writer, frames.iter_frames(start, stop), compose, written)
            except KeyboardInterrupt:
                kept = "; the masks tracked for it are kept" if tracked.frames else ""
                raise Cancelled(
                    f"render of {output} stopped; no output was written{kept}"
                ) from None
    return RenderResult(
        output=output,
        frames=total,
        seconds=time.perf_counter() - started,
        tracked=tracked.objects,
        tracking=tracked,
    )
