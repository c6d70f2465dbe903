"""Detections become one track per person, with gaps filled, boxes steady and a margin."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from model.faces import FaceDetection, track_faces


def _det(x: float, y: float, size: float = 40, score: float = 0.9) -> FaceDetection:
    return FaceDetection((x, y, x + size, y + size), score)


def test_people_audio_is_one_track_over_all_96_frames(people_detections) -> None:
    tracks = track_faces(people_detections, start_threshold=0.5)
    assert len(tracks) == 1
    (t,) = tracks
    assert sorted(t.boxes) == list(range(96))
    assert len(t.detected) == 96 and t.covered_only == set()


def test_missed_frames_are_interpolated_and_counted(people_detections) -> None:
    """Remove the detections of frames 40-44: the track still covers them, between its
    neighbours."""
    holed = [[] if 40 <= i <= 44 else d for i, d in enumerate(people_detections)]
    (t,) = track_faces(holed, start_threshold=0.5, smooth=1, extend=0)
    assert t.covered_only == {40, 41, 42, 43, 44}
    b39, b45 = np.array(t.boxes[39]), np.array(t.boxes[45])
    for f in range(40, 45):
        b = np.array(t.boxes[f])
        lo, hi = np.minimum(b39, b45) - 0.5, np.maximum(b39, b45) + 0.5
        assert np.all((b >= lo) & (b <= hi)), (f, b)
        # and the real (removed) face is still mostly under the interpolated box
        real = people_detections[f][0].box
        ix = max(0, min(b[2], real[2]) - max(b[0], real[0])) * max(
            0, min(b[3], real[3]) - max(b[1], real[1])
        )
        assert ix / ((real[2] - real[0]) * (real[3] - real[1])) > 0.8


def test_two_people_keep_their_identities() -> None:
    """Two faces moving towards each other keep one track each (ids by first appearance)."""
    frames = [[_det(100 + 3 * i, 100), _det(400 - 3 * i, 110)] for i in range(30)]
    frames[10] = frames[10][::-1]  # detection order must not matter
    tracks = track_faces(frames)
    assert [t.track_id for t in tracks] == [1, 2]
    left = tracks[0] if tracks[0].boxes[0][0] < 200 else tracks[1]
    xs = [left.boxes[i][0] for i in range(30)]
    assert all(b > a for a, b in pairwise(xs))  # the left face only ever moves right


def test_weak_detections_continue_but_never_start_a_track() -> None:
    frames = [[_det(100, 100, score=0.8 if i < 5 else 0.3)] for i in range(20)]
    frames[3].append(_det(500, 300, score=0.3))  # a weak blob elsewhere
    (t,) = track_faces(frames, start_threshold=0.5)
    assert len(t.detected) == 20


def test_a_long_absence_starts_a_new_track() -> None:
    frames = [[_det(100, 100)] if i < 10 or i >= 40 else [] for i in range(50)]
    tracks = track_faces(frames, max_gap=12, extend=0)
    assert len(tracks) == 2
    assert max(tracks[0].boxes) == 9 and min(tracks[1].boxes) == 40


def test_smoothing_removes_jitter_but_keeps_the_face_covered() -> None:
    rng = np.random.default_rng(0)
    jitter = rng.normal(0, 3, size=(60, 2))
    frames = [[_det(200 + jx, 150 + jy)] for jx, jy in jitter]
    (t,) = track_faces(frames, smooth=7, extend=0)
    centres = np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in t.boxes.values()])
    raw = np.array(
        [((d[0].box[0] + d[0].box[2]) / 2, (d[0].box[1] + d[0].box[3]) / 2) for d in frames]
    )
    assert np.abs(np.diff(centres, axis=0)).mean() < 0.6 * np.abs(np.diff(raw, axis=0)).mean()
    for f, d in enumerate(frames):  # every raw detection stays inside the final box
        b, r = t.boxes[f], d[0].box
        assert b[0] <= r[0] and b[1] <= r[1] and b[2] >= r[2] and b[3] >= r[3]


def test_margin_extend_and_frame_clipping() -> None:
    frames = (
        [[] for _ in range(3)] + [[_det(5, 10, size=40)] for _ in range(5)] + [[] for _ in range(5)]
    )
    (t,) = track_faces(frames, margin=0.25, extend=2, frame_size=(100, 60))
    assert min(t.boxes) == 1 and max(t.boxes) == 9  # held 2 frames either side
    assert t.covered_only == {1, 2, 8, 9}
    x0, y0, x1, y1 = t.boxes[4]
    assert (x0, y0) == (0, 0)  # 5 - 10 and 10 - 10, clipped to the frame
    assert x1 == 55 and y1 == 60  # 45 + 10, and 60 clipped to the frame height


def test_keyframe_scan_follows_the_face_between_keyframes(
    people_detections, detector, frames_of
) -> None:
    """Full frames every 3rd frame, crops in between: the face is still found on every frame,
    where the full-frame detector finds it."""
    from model.faces import scan_faces
    from model.faces.tracks import iou

    rgbs = [rgb for _, rgb in frames_of("people_audio.mp4")]
    scanned = list(scan_faces(rgbs, detector, keyframe_every=3))
    assert len(scanned) == 96
    assert sum(1 for d in scanned if d) >= 94
    for full, scan in zip(people_detections, scanned, strict=True):
        if scan:
            assert iou(full[0].box, scan[0].box) > 0.5
