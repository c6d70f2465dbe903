"""End to end, as a user does it: hand-written project → `rotokit track` → `rotokit render`.

Uses the randomly initialised `test-random-micro` model (no weights can be downloaded here):
the masks have arbitrary shapes, so the checks are about what the pipeline must guarantee
whatever the masks are — frame count, timestamps, audio, sync, untouched pixels.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from app.cli import main
from app.project import MaskStore, load_project, masks_path_for
from tests.shared_media import clip_path

AUDIO_FRAME = 1024 / 48000  # one AAC frame at 48 kHz


def _write_project(folder: Path, clip: str, objects: list[dict], background: list[dict]) -> Path:
    shutil.copy(clip_path(clip), folder / clip)
    path = folder / "edit.rotokit"
    path.write_text(
        json.dumps(
            {
                "rotokit": 1,
                "video": clip,
                "objects": objects,
                "background": {"effects": background},
            }
        ),
        encoding="utf-8",
    )
    return path


def _video_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(float(f.pts * s.time_base) for f in c.decode(s))


def _audio(path: Path) -> tuple[np.ndarray, int, float]:
    """Mono float samples, rate, and the first audio frame's time in seconds."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        chunks, start = [], None
        for frame in c.decode(s):
            if start is None:
                start = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            arr = frame.to_ndarray()
            if arr.dtype.kind == "i":
                arr = arr / float(np.iinfo(arr.dtype).max)
            channels = frame.layout.nb_channels
            mono = (
                arr.mean(axis=0)
                if frame.format.is_planar
                else arr.reshape(-1, channels).mean(axis=1)
            )
            chunks.append(mono)
        return np.concatenate(chunks).astype(np.float64), s.rate, start or 0.0


def _beep_onsets(path: Path) -> list[float]:
    samples, rate, start = _audio(path)
    loud = np.abs(samples) > 0.05
    onsets, last = [], -1.0
    for i in np.flatnonzero(loud):
        t = start + i / rate
        if t - last > 0.2:
            onsets.append(t)
        last = t
    return onsets


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.dts is not None and p.size]


@pytest.fixture(scope="module")
def tracked_project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("e2e")
    project = _write_project(
        folder,
        "beeps_audio.mp4",
        objects=[
            {
                "id": 1,
                "name": "magician",
                "prompts": [
                    {"frame": 0, "box": [290, 100, 360, 170]},
                    {"frame": 0, "points": [[320, 140]], "labels": [1]},
                ],
                "effects": [{"type": "blur", "strength": 10}],
            },
            {
                "id": 2,
                "name": "cloth",
                "prompts": [{"frame": 10, "points": [[200, 250], [500, 60]], "labels": [1, 0]}],
                "effects": [{"type": "pixelate", "block": 12}],
            },
        ],
        background=[],
    )
    assert main(["track", str(project), "--model", "test-random-micro", "--offline", "-q"]) == 0
    return project


def test_track_stores_one_mask_per_object_per_frame(tracked_project):
    project = load_project(tracked_project)
    with MaskStore(masks_path_for(tracked_project), readonly=True) as store:
        for obj in project.objects:
            assert store.frames_with_mask(obj.id) == list(range(96)), obj.name
        mask = store.get(50, 1)
        assert mask is not None and mask.shape == (360, 640) and mask.dtype == bool
        assert store.stale_objects(project) == []


@pytest.mark.parametrize("suffix,codec,copied", [(".mp4", "h264", True), (".webm", "vp9", False)])
def test_render_keeps_frames_timestamps_and_audio_in_sync(
    tracked_project, tmp_path, suffix, codec, copied
):
    source = tracked_project.parent / "beeps_audio.mp4"
    out = tmp_path / f"out{suffix}"
    assert main(["render", str(tracked_project), "-o", str(out), "--codec", codec, "-q"]) == 0

    src_times, out_times = _video_times(source), _video_times(out)
    assert len(out_times) == len(src_times) == 96
    half_frame = 0.5 / 24
    assert max(abs(a - b) for a, b in zip(src_times, out_times, strict=True)) < half_frame

    with av.open(str(source)) as a, av.open(str(out)) as b:
        src_audio_duration = float(a.streams.audio[0].duration * a.streams.audio[0].time_base)
        out_stream = b.streams.audio[0]
        assert out_stream.codec_context.name == ("aac" if copied else "opus")
    samples, rate, _ = _audio(out)
    assert abs(len(samples) / rate - src_audio_duration) <= AUDIO_FRAME + 0.0135  # opus pre-skip
    if copied:
        assert _audio_packets(out) == _audio_packets(source)

    src_onsets, out_onsets = _beep_onsets(source), _beep_onsets(out)
    assert len(src_onsets) == 8
    assert len(out_onsets) == 8
    assert max(abs(a - b) for a, b in zip(src_onsets, out_onsets, strict=True)) < 0.005


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_pixels_outside_masks_unchanged_up_to_encoder_loss(tracked_project, tmp_path):
    """Outside every mask (no background effect) the render equals a plain transcode."""
    # The random test model is non-trivial (each mask covers ~70 % of the frame), so the tracked
    # masks are kept to the left 60 % of a copy of the project: the right part is "outside".
    data = json.loads(tracked_project.read_text())
    data["video"] = str(tracked_project.parent / data["video"])
    edited_project = tmp_path / "edited.rotokit"
    edited_project.write_text(json.dumps(data))
    shutil.copy(masks_path_for(tracked_project), masks_path_for(edited_project))
    with MaskStore(masks_path_for(edited_project)) as store:
        for obj_id in store.object_ids():
            for idx in store.frames_with_mask(obj_id):
                mask = store.get(idx, obj_id).copy()
                mask[:, 384:] = False
                store.put(idx, obj_id, mask, store.score(idx, obj_id))
    edited = tmp_path / "edited.mp4"
    assert main(["render", str(edited_project), "-o", str(edited), "-q"]) == 0
    plain_project = tmp_path / "plain.rotokit"
    for obj in data["objects"]:
        obj["effects"] = []
    plain_project.write_text(json.dumps(data))
    shutil.copy(masks_path_for(edited_project), masks_path_for(plain_project))
    plain = tmp_path / "plain.mp4"
    assert main(["render", str(plain_project), "-o", str(plain), "-q"]) == 0

    with (
        MaskStore(masks_path_for(edited_project), readonly=True) as store,
        av.open(str(edited)) as a,
        av.open(str(plain)) as b,
    ):
        checked = 0
        for idx, (fa, fb) in enumerate(zip(a.decode(video=0), b.decode(video=0), strict=True)):
            masks = store.frame_masks(idx)
            covered = np.zeros((360, 640), bool)
            for m in masks.values():
                covered |= m
            # effects reach a little beyond the mask (blur radius, 16 px macroblocks)
            near = cv2.dilate(covered.astype(np.uint8), np.ones((49, 49), np.uint8)) > 0
            outside = ~near
            if outside.sum() < 1000:
                continue
            ra, rb = fa.to_ndarray(format="rgb24"), fb.to_ndarray(format="rgb24")
            assert _psnr(ra[outside], rb[outside]) > 40, idx
            checked += 1
    assert checked > 0, "the random masks covered every frame entirely; nothing to compare"


def test_export_coco_reads_back_with_pycocotools(tracked_project, tmp_path):
    from pycocotools import mask as mask_utils

    out = tmp_path / "coco"
    assert (
        main(
            [
                "export",
                str(tracked_project),
                "--format",
                "coco",
                "-o",
                str(out),
                "--no-images",
                "--keep-empty",
                "-q",
            ]
        )
        == 0
    )  # frames without objects too
    data = json.loads((out / "annotations.json").read_text())
    frame_of_image = {img["id"]: img["frame_index"] for img in data["images"]}
    assert len(frame_of_image) == 96
    with MaskStore(masks_path_for(tracked_project), readonly=True) as store:
        checked = 0
        for ann in data["annotations"]:
            decoded = mask_utils.decode(ann["segmentation"]).astype(bool)
            expected = store.get(frame_of_image[ann["image_id"]], ann["track_id"])
            assert np.array_equal(decoded, expected)
            checked += 1
    assert checked > 0


def test_render_range_cuts_video_and_audio_together(tracked_project, tmp_path):
    """Frames 24–71 (1.0 s – 3.0 s): 48 frames from t=0, the beeps moved 1 s earlier."""
    out = tmp_path / "part.mp4"
    assert main(["render", str(tracked_project), "-o", str(out), "--range", "24:72", "-q"]) == 0
    times = _video_times(out)
    assert len(times) == 48
    assert abs(times[0]) < 1e-6
    samples, rate, _ = _audio(out)
    assert abs(len(samples) / rate - 2.0) <= 2 * AUDIO_FRAME
    src_onsets = [
        t - 1.0 for t in _beep_onsets(tracked_project.parent / "beeps_audio.mp4") if 1.0 <= t < 3.0
    ]
    out_onsets = _beep_onsets(out)
    assert len(out_onsets) == len(src_onsets) == 4
    assert max(abs(a - b) for a, b in zip(src_onsets, out_onsets, strict=True)) < 0.005
