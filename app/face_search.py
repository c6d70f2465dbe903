"""Find every face of a clip and link them into one track per person: the one face finder.

`rotokit anonymize`, the editor's "find faces" and `rotokit batch anonymize` all call this, so
a face the command hides is the face the editor shows. Offline: the vendored CenterFace detector
(`model.faces.FaceDetector`) on full frames every `KEYFRAME_EVERY` frames and on crops around the
faces already seen in between (`model.faces.scan_faces`, about half the detection time), then
`model.faces.track_faces` links the detections; frames where the detector missed a face between
two sightings are still covered, and counted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from app.errors import Cancelled, InvalidOption
from app.media import Frame, FrameSource
from app.pipeline import ahead
from model.faces import FaceDetector, FaceTrack, scan_faces, track_faces

__all__ = [
    "CONTINUE_FACTOR",
    "DEFAULT_THRESHOLD",
    "KEYFRAME_EVERY",
    "MARGIN",
    "FaceSearch",
    "check_threshold",
    "face_detector",
    "find_face_tracks",
    "track_faces_in",
]

#: a detection must reach this score to start a face track (CenterFace's own demo default)
DEFAULT_THRESHOLD = 0.5
#: weaker detections (down to threshold × this) may continue a track: a face turning away keeps
#: being followed, while a weak blob on a wall never starts one
CONTINUE_FACTOR = 0.6
#: a full-frame detection pass every this many frames; crops around known faces in between
#: (about half the detection time; a face appearing between keyframes is found on the next one
#: and its track is held back ``keyframe_every - 1`` frames to cover the frames before)
KEYFRAME_EVERY = 3
#: margin added on each side of the detector's face box (hair, ears, a turning head)
MARGIN = 0.2


def check_threshold(threshold: float | None) -> float:
    """The start threshold to use (None: `DEFAULT_THRESHOLD`); `InvalidOption` outside (0, 1)."""
    if threshold is None:
        return DEFAULT_THRESHOLD
    if not 0.0 < threshold < 1.0:
        raise InvalidOption(f"--threshold {threshold}: must be between 0 and 1 (e.g. 0.5)")
    return threshold


def face_detector(threshold: float | None = None) -> FaceDetector:
    """A detector reporting sightings down to ``threshold × CONTINUE_FACTOR`` (they may only
    continue a track; `track_faces_in` starts tracks at ``threshold``)."""
    return FaceDetector(threshold=check_threshold(threshold) * CONTINUE_FACTOR)


def track_faces_in(
    frames: FrameSource,
    *,
    threshold: float | None = None,
    detector: FaceDetector | None = None,
    keyframe_every: int = KEYFRAME_EVERY,
    on_frame: Callable[[int], None] | None = None,
) -> list[FaceTrack]:
    """The face tracks of an open clip, in display order of their first frame.

    `on_frame(index)` is called before each frame is searched (it may raise, e.g. `Cancelled`).
    `detector` defaults to `face_detector(threshold)`.
    """
    start = check_threshold(threshold)
    if detector is None:
        detector = face_detector(start)

    def rgb_frames(decoded: Iterable[Frame]) -> Iterator[np.ndarray]:
        for fr in decoded:
            if on_frame is not None:
                on_frame(fr.index)
            yield fr.rgb

    # frames decode on a helper thread while the detector works on the previous one
    with ahead(frames.iter_frames(), name="rotokit-decode") as decoded:
        detections = list(scan_faces(rgb_frames(decoded), detector, keyframe_every=keyframe_every))
    info = frames.info
    return track_faces(
        detections,
        start_threshold=start,
        margin=MARGIN,
        extend=max(2, keyframe_every - 1),
        frame_size=(info.width, info.height),
    )


@dataclass(frozen=True)
class FaceSearch:
    """The face tracks of a clip and the clip facts a caller needs to draw or save them."""

    tracks: list[FaceTrack]
    frames: int
    shape: tuple[int, int]  # (height, width)
    fps: float


def find_face_tracks(
    video: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    keyframe_every: int = KEYFRAME_EVERY,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> FaceSearch:
    """Open `video` and find its face tracks (`track_faces_in`); for the editor and scripts.

    ``on_progress(done, total)`` counts frames; setting `cancel` raises `Cancelled`.
    """
    threshold = check_threshold(threshold)  # a bad option fails before the clip is opened
    with FrameSource(video, cache_bytes=0) as frames:  # MediaError for every bad input
        n = len(frames)

        def step(index: int) -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"face search in {video} stopped")
            if on_progress is not None:
                on_progress(index, n)

        tracks = track_faces_in(
            frames, threshold=threshold, keyframe_every=keyframe_every, on_frame=step
        )
        info = frames.info
    if on_progress is not None:
        on_progress(n, n)
    return FaceSearch(tracks, n, (info.height, info.width), info.avg_fps or info.base_fps)
