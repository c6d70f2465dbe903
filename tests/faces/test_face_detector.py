"""The vendored CenterFace detector finds the faces the media README documents, and no others."""

from __future__ import annotations

import numpy as np
import pytest

from model.faces import FaceDetector
from model.faces.tracks import iou

# media/README.md, people_audio.mp4: approximate face boxes (x, y, w, h) by frame range.
PEOPLE_FACE = {
    0: (290, 100, 70, 70),
    30: (310, 110, 55, 55),
    55: (320, 115, 50, 50),
    90: (285, 130, 50, 50),
}


def _xyxy(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = b
    return x, y, x + w, y + h


def test_finds_the_one_face_on_people_audio(people_detections) -> None:
    """Every frame has exactly one face, where the README says it is, with landmarks inside it."""
    assert len(people_detections) == 96
    assert all(len(d) == 1 for d in people_detections), [len(d) for d in people_detections]
    for idx, known in PEOPLE_FACE.items():
        det = people_detections[idx][0]
        assert iou(det.box, _xyxy(known)) > 0.3, (idx, det.box, known)
        assert det.score >= 0.5
        assert det.landmarks is not None and det.landmarks.shape == (5, 2)
        x0, y0, x1, y1 = det.box
        assert np.all((det.landmarks[:, 0] > x0) & (det.landmarks[:, 0] < x1))
        assert np.all((det.landmarks[:, 1] > y0) & (det.landmarks[:, 1] < y1))


def test_finds_the_small_profile_face_on_dog_ball(frames_of) -> None:
    """The woman's ~20×30 px profile face (README boxes) is found at native resolution."""
    known = {
        0: (160, 65, 190, 100),
        10: (160, 65, 190, 100),
        60: (100, 40, 150, 80),
        85: (100, 40, 150, 80),
    }
    det = FaceDetector(threshold=0.4)
    for idx, rgb in frames_of("dog_ball.mp4", list(known)):
        faces = det.detect(rgb)
        assert faces, f"frame {idx}: no face found"
        x0, y0, x1, y1 = faces[0].box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        kx0, ky0, kx1, ky1 = known[idx]
        assert kx0 <= cx <= kx1 and ky0 <= cy <= ky1, (idx, faces[0].box)


@pytest.mark.parametrize("clip", ["odd_size.mp4", "vfr.mp4"])
def test_no_faces_on_faceless_clips(detector, frames_of, clip) -> None:
    """Hands, blocks, cups and a torso are not faces (README: no face in these clips)."""
    for idx, rgb in frames_of(clip, [0, 15, 30, 45, 59]):
        assert detector.detect(rgb) == [], f"{clip} frame {idx}"


def test_multi_scale_and_tiles_merge_to_one_face(frames_of) -> None:
    """An up-scaled pass cut into tiles finds the same face; NMS merges the passes into one box."""
    ((_, rgb),) = frames_of("people_audio.mp4", [0])
    single = FaceDetector().detect(rgb)
    tiled = FaceDetector(scales=(2.0,), tile=640, tile_overlap=160).detect(
        rgb
    )  # 1280×720 in 4+ tiles
    both = FaceDetector(scales=(1.0, 2.0), tile=640, tile_overlap=160).detect(rgb)
    assert len(single) == len(tiled) == len(both) == 1
    assert iou(single[0].box, tiled[0].box) > 0.6
    assert iou(single[0].box, both[0].box) > 0.6


def test_downscaled_1080p_frame_still_finds_the_face(frames_of) -> None:
    """max_side scales a big frame down for speed; the box comes back in full-frame pixels."""
    import cv2

    ((_, rgb),) = frames_of("people_audio.mp4", [0])
    big = cv2.resize(rgb, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    faces = FaceDetector(max_side=960).detect(big)
    assert len(faces) == 1
    assert iou(faces[0].box, tuple(v * 3 for v in _xyxy(PEOPLE_FACE[0]))) > 0.3


def test_threshold_is_an_option(frames_of) -> None:
    ((_, rgb),) = frames_of("people_audio.mp4", [0])
    assert FaceDetector(threshold=0.3).detect(rgb)
    assert FaceDetector(threshold=0.99).detect(rgb) == []


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="threshold"):
        FaceDetector(threshold=1.5)
    with pytest.raises(ValueError, match="scales"):
        FaceDetector(scales=(0.0,))
    with pytest.raises(ValueError, match="RGB frame"):
        FaceDetector().detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(FileNotFoundError, match="face model"):
        FaceDetector(model_path="/nonexistent/centerface.onnx")
