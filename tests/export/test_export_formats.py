"""Every export format read back with its reference reader matches the stored masks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from app.errors import Cancelled, ExportError
from app.export import FORMATS, export_dataset
from app.export.davis import davis_palette
from app.frame_range import RangeError
from app.media import FrameSource
from app.project import Prompt, add_prompt

RANGE = (0, 30)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def resolved(tracked, frame: int) -> dict[int, np.ndarray]:
    """Masks with overlaps given to the object higher in z-order (what one-label formats hold)."""
    out = {}
    taken = None
    for obj in reversed(tracked.project.objects):
        mask = tracked.masks[frame].get(obj.id)
        if mask is None:
            continue
        out[obj.id] = mask if taken is None else mask & ~taken
        taken = mask.copy() if taken is None else taken | mask
    return out


def _export(tracked, fmt: str, tmp_path: Path, **kwargs) -> Path:
    progress: list[tuple[int, int]] = []
    out = export_dataset(
        tracked.project,
        tracked.store,
        fmt,
        tmp_path / fmt,
        frame_range=RANGE,
        on_progress=lambda d, t: progress.append((d, t)),
        **kwargs,
    )
    assert progress[-1] == (30, 30) and [d for d, _ in progress] == list(range(1, 31))
    assert sorted(p.name for p in tmp_path.iterdir()) == [fmt]  # no staging leftovers
    return out


def test_fixture_masks_are_realistic(tracked) -> None:
    """Guard: the masks have several pieces and holes, and objects 1 and 2 overlap."""
    bright = tracked.masks[0][1]
    n_pieces, _ = cv2.connectedComponents(bright.astype(np.uint8))
    assert n_pieces - 1 >= 3
    assert (tracked.masks[0][1] & tracked.masks[0][2]).sum() > 100


def test_coco_reads_back_with_pycocotools(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "coco", tmp_path)
    coco = COCO(str(out / "annotations.json"))
    assert len(coco.imgs) == 30
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["bright stuff", "dog"]
    dog = coco.getCatIds(catNms=["dog"])[0]
    with FrameSource(tracked.project.video_path) as frames:
        for image in coco.loadImgs(coco.getImgIds()):
            idx = image["frame_index"]
            assert image["video_id"] == 1 and (image["width"], image["height"]) == (640, 360)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
            expected = {oid: m for oid, m in tracked.masks[idx].items() if m.any()}
            assert sorted(a["track_id"] for a in anns) == sorted(expected)
            for ann in anns:
                assert iou(coco.annToMask(ann).astype(bool), expected[ann["track_id"]]) == 1.0
                assert ann["area"] == expected[ann["track_id"]].sum()
                assert (ann["category_id"] == dog) == (ann["track_id"] in (2, 3))
            if idx % 10 == 0:  # the frame image is the video frame
                jpg = cv2.cvtColor(cv2.imread(str(out / image["file_name"])), cv2.COLOR_BGR2RGB)
                assert cv2.PSNR(jpg, np.ascontiguousarray(frames.frame(idx))) > 30
    assert {
        t["id"]: t["category_id"]
        for t in json.loads((out / "annotations.json").read_text())["tracks"]
    } == {1: 1, 2: dog, 3: dog}


def test_yolo_polygons_rasterise_back(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "yolo", tmp_path)
    assert (out / "classes.txt").read_text().splitlines() == ["bright stuff", "dog"]
    assert 'names:\n  0: "bright stuff"\n  1: "dog"' in (out / "data.yaml").read_text()
    yaml = (out / "data.yaml").read_text()
    assert "path:" not in yaml  # Ultralytics then resolves against the yaml's folder, not the cwd
    assert "train: images\nval: images  # no --val split" in yaml
    worst = 1.0
    for idx in range(*RANGE):
        label = out / "labels" / f"clip_{idx:06d}.txt"
        assert (out / "images" / f"clip_{idx:06d}.jpg").is_file()
        lines = label.read_text().splitlines()
        expected = [(oid, m) for oid, m in tracked.masks[idx].items() if m.any()]
        assert len(lines) == len(expected)  # one line per object, pieces and holes joined
        for line, (oid, mask) in zip(lines, expected, strict=True):
            cls, *coords = line.split()
            assert int(cls) == (0 if oid == 1 else 1)
            points = np.array(coords, float).reshape(-1, 2) * (640, 360)
            raster = np.zeros((360, 640), np.uint8)
            cv2.fillPoly(raster, [np.round(points).astype(np.int32)], 1)
            worst = min(worst, iou(raster.astype(bool), mask))
    assert worst > 0.98, worst


def test_davis_palette_pngs(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "davis", tmp_path)
    palette = davis_palette()
    assert palette[1].tolist() == [128, 0, 0] and palette[2].tolist() == [0, 128, 0]
    assert (
        out / "ImageSets" / "2017" / "val.txt"
    ).read_text() == "clip\n"  # no split: DAVIS's eval set
    annotations = out / "Annotations" / "Full-Resolution" / "clip"  # 360p: not DAVIS's 480p folder
    for idx in range(*RANGE):
        image = Image.open(annotations / f"{idx:05d}.png")
        assert image.mode == "P"
        assert (
            np.array(image.getpalette()[:768], np.uint8).reshape(-1, 3).tolist() == palette.tolist()
        )
        labels = np.array(image)
        expected = resolved(tracked, idx)
        assert set(np.unique(labels)) <= {0, *expected}
        for oid, mask in expected.items():
            assert iou(labels == oid, mask) == 1.0
        assert (out / "JPEGImages" / "Full-Resolution" / "clip" / f"{idx:05d}.jpg").is_file()
    # Where the ellipse (2) covers the bright regions (1), the ellipse is on top.
    overlap = tracked.masks[0][1] & tracked.masks[0][2]
    assert (np.array(Image.open(annotations / "00000.png"))[overlap] == 2).all()


def test_mots_txt_decodes_with_pycocotools(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "mots", tmp_path)
    assert (out / "classes.txt").read_text().splitlines() == ["1 bright stuff", "2 dog"]
    seen: dict[int, dict[int, np.ndarray]] = {}
    assert (out / "seqmaps" / "MOTS-train.txt").read_text() == "name\nclip\n"
    for line in (out / "MOTS-train" / "clip" / "gt" / "gt.txt").read_text().splitlines():
        frame, obj, cls, h, w, rle = line.split(" ")
        frame, obj, cls = int(frame) - 1, int(obj), int(cls)  # MOTSChallenge frames are 1-based
        assert obj // 1000 == cls and cls == (1 if obj % 1000 == 1 else 2)  # KITTI MOTS ids
        seen.setdefault(frame, {})[obj % 1000] = mask_utils.decode(
            {"size": [int(h), int(w)], "counts": rle.encode()}
        ).astype(bool)
    assert sorted(seen) == list(range(*RANGE))
    for idx in range(*RANGE):
        expected = {oid: m for oid, m in resolved(tracked, idx).items() if m.any()}
        assert sorted(seen[idx]) == sorted(expected)
        for oid, mask in expected.items():
            assert iou(seen[idx][oid], mask) == 1.0
        stack = np.stack(list(seen[idx].values())).sum(0)
        assert stack.max() == 1  # MOTS masks never overlap


def test_png_sequences(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "png", tmp_path)
    index = json.loads((out / "objects.json").read_text())
    assert [c["clip"] for c in index["clips"]] == ["clip"]
    folders = {o["id"]: out / o["folder"] for o in index["clips"][0]["objects"]}
    assert folders[1].name == "1_bright_stuff"
    for idx in range(*RANGE):
        for oid, folder in folders.items():
            image = cv2.imread(str(folder / f"{idx:06d}.png"), cv2.IMREAD_UNCHANGED)
            assert image.dtype == np.uint8 and image.ndim == 2 and set(np.unique(image)) <= {0, 255}
            expected = tracked.masks[idx].get(oid, np.zeros((360, 640), bool))
            assert iou(image == 255, expected) == 1.0
    assert len(list(folders[3].iterdir())) == 30  # no gaps where the object is absent


def test_alpha_matte_videos(tracked, tmp_path: Path) -> None:
    out = _export(tracked, "alpha", tmp_path)
    files = sorted((out / "alpha" / "clip").iterdir())
    assert [f.name for f in files] == ["1_bright_stuff.mkv", "2_dog.mkv", "3_dog.mkv"]
    base = tracked.pts[0]
    with FrameSource(tracked.project.video_path) as source:
        time_base = float(source.info.time_base)
    for path in files:
        oid = int(path.name.split("_")[0])
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = list(container.decode(stream))
        assert len(frames) == 30
        for idx, frame in enumerate(frames):
            grey = frame.to_ndarray(format="gray")
            expected = tracked.masks[idx].get(oid, np.zeros((360, 640), bool))
            assert iou(grey > 127, expected) == 1.0
            t_src = (tracked.pts[idx] - base) * time_base
            assert abs(float(frame.time) - t_src) < 0.0015  # mkv stores ms


def test_cancel_leaves_nothing(tracked, tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 5:
            cancel.set()

    for fmt in ("coco", "alpha"):
        with pytest.raises(Cancelled):
            export_dataset(
                tracked.project,
                tracked.store,
                fmt,
                tmp_path / "out",
                frame_range=RANGE,
                on_progress=progress,
                cancel=cancel,
            )
        cancel.clear()
        assert list(tmp_path.iterdir()) == []


def test_refuses_non_empty_output_and_unknown_format(tracked, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="already exists and is not an empty folder"):
        export_dataset(tracked.project, tracked.store, "png", tmp_path / "out", frame_range=RANGE)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    with pytest.raises(ExportError, match=r"unknown export format 'voc' \(choose from coco, yolo"):
        export_dataset(tracked.project, tracked.store, "voc", tmp_path / "x")
    with pytest.raises(RangeError, match="range 80:200 goes past the clip's"):
        export_dataset(tracked.project, tracked.store, "png", tmp_path / "x", frame_range=(80, 200))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert set(FORMATS) == {"coco", "yolo", "davis", "mots", "png", "alpha"}


def test_stale_masks_are_not_exported_silently(tracked, tmp_path: Path) -> None:
    project = tracked.project
    inverse = add_prompt(project, 2, Prompt(3, points=[[5, 5]], labels=[1]))
    try:
        with pytest.raises(
            ExportError, match="no masks computed from the current prompts for 'dog' on frames 0-29"
        ):
            export_dataset(project, tracked.store, "png", tmp_path / "a", frame_range=RANGE)
        export_dataset(
            project, tracked.store, "png", tmp_path / "b", frame_range=(0, 2), allow_stale=True
        )
    finally:
        project.apply(inverse)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_failure_midway_leaves_nothing(tracked, tmp_path: Path) -> None:
    """An error on frame 7 (here: the disk refuses a write) removes everything written so far."""
    calls = {"n": 0}
    real_imwrite = cv2.imwrite

    def flaky_imwrite(path, image, *args):
        calls["n"] += 1
        if calls["n"] > 20:
            return False
        return real_imwrite(path, image, *args)

    cv2.imwrite = flaky_imwrite
    try:
        with pytest.raises(ExportError, match="cannot write the image"):
            export_dataset(
                tracked.project, tracked.store, "png", tmp_path / "out", frame_range=RANGE
            )
    finally:
        cv2.imwrite = real_imwrite
    assert list(tmp_path.iterdir()) == []
