"""Several projects → one dataset: one class table, unique names, a by-clip split, frame selection.

Each export is read back by its consumer: pycocotools (COCOeval of each split against itself),
Pillow for DAVIS, TrackEval's own MOTS and DAVIS readers when TrackEval is installed
(`make test-consumers`), and a YAML loader for data.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from app.cli import main
from app.errors import ExportError
from app.export import Clip, ExportOptions, export_clips
from app.export.options import split_clips
from app.media import FrameSource
from tests.export.clips import EMPTY, N, TrackedClip, make_clip

NAMES = ["dog_ball", "bedroom_small", "people_audio"]


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> list[TrackedClip]:
    root = tmp_path_factory.mktemp("three")
    clips = [
        make_clip(root / "a", media_dir, "dog_ball.mp4", ["Dog", "ball"]),
        make_clip(root / "b", media_dir, "bedroom_small.mp4", ["dog ", "Ball", "person"]),
        make_clip(root / "c", media_dir, "people_audio.mp4", ["DOG", "  ball"]),
    ]
    yield clips
    for clip in clips:
        clip.store.close()


def _export(three, fmt: str, out: Path, **options) -> Path:
    images = options.pop("images", True)
    result = export_clips(
        [Clip(c.project, c.store) for c in three],
        fmt,
        out,
        images=images,
        options=ExportOptions(**options),
    )
    return result.path


def _resolved(clip: TrackedClip, frame: int) -> dict[int, np.ndarray]:
    out, taken = {}, None
    for obj in reversed(clip.project.objects):
        mask = clip.masks[frame].get(obj.id)
        if mask is None:
            continue
        out[obj.id] = mask if taken is None else mask & ~taken
        taken = mask.copy() if taken is None else taken | mask
    return out


def test_coco_one_category_table_unique_files_tracks_per_clip(three, tmp_path: Path) -> None:
    out = _export(three, "coco", tmp_path / "coco")
    coco = COCO(str(out / "annotations.json"))
    assert {c["id"]: c["name"] for c in coco.dataset["categories"]} == {
        1: "dog",
        2: "ball",
        3: "person",
    }
    videos = coco.dataset["videos"]
    assert [v["name"] for v in videos] == NAMES and [v["id"] for v in videos] == [1, 2, 3]
    files = [im["file_name"] for im in coco.dataset["images"]]
    assert (
        len(files) == len(set(files)) == 3 * (N - len(EMPTY))
    )  # frames with no object are dropped
    assert all((out / f).is_file() for f in files)
    tracks = coco.dataset["tracks"]
    assert len({t["id"] for t in tracks}) == len(tracks) == 7
    names = {(t["video_id"], t["obj_id"]): t["category_id"] for t in tracks}
    assert (
        names[(2, 3)] == 3 and names[(3, 1)] == 1 and names[(2, 2)] == 2
    )  # "person", "DOG", "Ball"
    track_of = {t["id"]: t for t in tracks}
    for ann in coco.dataset["annotations"]:
        image = coco.imgs[ann["image_id"]]
        track = track_of[ann["track_id"]]
        assert track["video_id"] == ann["video_id"] == image["video_id"]
        clip = three[image["video_id"] - 1]
        expected = clip.masks[image["frame_index"]][track["obj_id"]]
        assert np.array_equal(coco.annToMask(ann).astype(bool), expected)
        assert ann["category_id"] == track["category_id"]


def _ap_against_itself(path: Path) -> float:
    gt = COCO(str(path))
    results = [
        {
            "image_id": a["image_id"],
            "category_id": a["category_id"],
            "segmentation": a["segmentation"],
            "score": 1.0,
        }
        for a in gt.dataset["annotations"]
    ]
    evaluation = COCOeval(gt, gt.loadRes(results), "segm")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    return float(evaluation.stats[0])


def test_coco_split_one_file_per_split_cocoeval_ap_1(three, tmp_path: Path) -> None:
    out = _export(three, "coco", tmp_path / "coco", val=0.34, seed=3, images=False)
    assert sorted(p.name for p in (out / "annotations").iterdir()) == ["train.json", "val.json"]
    assert not (out / "annotations.json").exists()
    seen: dict[str, str] = {}
    for split in ("train", "val"):
        path = out / "annotations" / f"{split}.json"
        doc = json.loads(path.read_text())
        clip_names = {v["name"] for v in doc["videos"]}
        assert {im["video_id"] for im in doc["images"]} == {v["id"] for v in doc["videos"]}
        assert {a["image_id"] for a in doc["annotations"]} <= {im["id"] for im in doc["images"]}
        assert [c["name"] for c in doc["categories"]] == [
            "dog",
            "ball",
            "person",
        ]  # same table in each
        seen.update(dict.fromkeys(clip_names, split))
        assert _ap_against_itself(path) == 1.0
    assert sorted(seen) == sorted(NAMES) and list(seen.values()).count("val") == 1
    assert seen == split_clips(NAMES, 0.34, 0.0, 3)


def test_split_is_by_clip_seeded_and_independent_of_order() -> None:
    names = [f"clip{i}" for i in range(10)]
    a = split_clips(names, 0.2, 0.1, seed=7)
    assert a == split_clips(list(reversed(names)), 0.2, 0.1, seed=7)
    assert sorted(a.values()).count("val") == 2 and sorted(a.values()).count("test") == 1
    assert any(split_clips(names, 0.2, 0.1, seed=s) != a for s in range(1, 5))
    assert (
        list(split_clips(["x", "y"], 0.2, 0.0, 0).values()).count("val") == 1
    )  # asked for: at least one
    with pytest.raises(ExportError, match="with 2 clips leaves no clip for training"):
        split_clips(["x", "y"], 0.3, 0.3, 0)


def _fill(line: str, w: int, h: int) -> tuple[int, np.ndarray, int]:
    cls, *coords = line.split()
    points = np.array(coords, float).reshape(-1, 2) * (w, h)
    raster = np.zeros((h, w), np.uint8)
    cv2.fillPoly(raster, [np.round(points).astype(np.int32)], 1)
    return int(cls), raster.astype(bool), len(points)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def test_yolo_split_folders_data_yaml_and_simplified_polygons(three, tmp_path: Path) -> None:
    out = _export(three, "yolo", tmp_path / "yolo", val=0.34)
    exact = _export(three, "yolo", tmp_path / "exact", val=0.34, simplify=0.0, images=False)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert "path" not in data  # resolved against the yaml's folder, from any working directory
    assert (data["train"], data["val"]) == ("images/train", "images/val")
    assert data["names"] == {0: "dog", 1: "ball", 2: "person"}
    splits = split_clips(NAMES, 0.34, 0.0, 0)
    worst, points, exact_points, checked = 1.0, 0, 0, 0
    for clip, name in zip(three, NAMES, strict=True):
        labels = sorted((out / "labels" / splits[name]).glob(f"{name}_*.txt"))
        frames = [int(p.stem.rsplit("_", 1)[1]) for p in labels]
        assert frames == [i for i in range(N) if i not in EMPTY]
        other = "val" if splits[name] == "train" else "train"
        assert not list(
            (out / "labels" / other).glob(f"{name}_*")
        )  # a clip lives in one split only
        with FrameSource(clip.project.video_path) as source:
            w, h = source.info.width, source.info.height
        for path in labels:
            assert (out / "images" / splits[name] / f"{path.stem}.jpg").is_file()
            frame = int(path.stem.rsplit("_", 1)[1])
            lines = path.read_text().splitlines()
            exact_lines = (exact / "labels" / splits[name] / path.name).read_text().splitlines()
            objects = [o for o in clip.project.objects if clip.masks[frame][o.id].any()]
            assert len(lines) == len(exact_lines) == len(objects)
            for line, exact_line, obj in zip(lines, exact_lines, objects, strict=True):
                mask = clip.masks[frame][obj.id]
                cls, raster, n = _fill(line, w, h)
                _, exact_raster, exact_n = _fill(exact_line, w, h)
                assert cls == {"dog": 0, "ball": 1, "person": 2}[" ".join(obj.name.split()).lower()]
                points, exact_points = points + n, exact_points + exact_n
                if _iou(exact_raster, mask) >= 0.98:
                    worst = min(worst, _iou(raster, mask))
                    checked += 1
                else:  # a spray of specks: the bridges alone cost IoU, so the exact outline is kept
                    assert line == exact_line
    assert checked >= 50 and worst >= 0.98, (checked, worst)
    assert points < 0.5 * exact_points, (points, exact_points)  # the default simplification pays


def test_frame_selection_every_min_change_keep_empty(three, tmp_path: Path) -> None:
    def frames(out: Path) -> dict[int, list[int]]:
        doc = json.loads((out / "annotations.json").read_text())
        by_video: dict[int, list[int]] = {}
        for im in doc["images"]:
            by_video.setdefault(im["video_id"], []).append(im["frame_index"])
        return by_video

    every = frames(_export(three, "coco", tmp_path / "every", every=2, images=False))
    assert every == {v: [0, 2, 4, 6, 10] for v in (1, 2, 3)}
    # Masks move on frames 0-5 and are frozen from 6; 8 and 9 have no object.
    still = frames(_export(three, "coco", tmp_path / "still", min_change=0.95, images=False))
    assert still == {v: [0, 1, 2, 3, 4, 5] for v in (1, 2, 3)}
    negatives = frames(
        _export(three, "coco", tmp_path / "neg", min_change=0.95, keep_empty=True, images=False)
    )
    assert negatives == {
        v: [0, 1, 2, 3, 4, 5, 8, 10] for v in (1, 2, 3)
    }  # vanishing and returning count


def test_classes_txt_fixes_ids_and_refuses_unlisted_objects(three, tmp_path: Path) -> None:
    classes = tmp_path / "classes.txt"
    classes.write_text("# fixed order\nperson\nBall\n\n  dog\ncat\n")
    out = _export(three, "yolo", tmp_path / "yolo", classes=classes, images=False)
    assert (out / "classes.txt").read_text().splitlines() == ["person", "ball", "dog", "cat"]
    first = (out / "labels" / "dog_ball_000000.txt").read_text().splitlines()
    assert [line.split()[0] for line in first] == ["2", "1"]  # "Dog" → dog (2), "ball" → ball (1)

    classes.write_text("dog\nball\n")
    with pytest.raises(
        ExportError, match=r"bedroom_small.rotokit: object 'person' is not in .*classes.txt"
    ):
        _export(three, "yolo", tmp_path / "refused", classes=classes)
    assert not (tmp_path / "refused").exists()


def test_image_format_png_is_lossless_and_jpeg_quality_applies(three, tmp_path: Path) -> None:
    out = _export(three[:1], "yolo", tmp_path / "png", image_format="png")
    with FrameSource(three[0].project.video_path) as source:
        frame = np.ascontiguousarray(source.frame(3))
    png = cv2.cvtColor(cv2.imread(str(out / "images" / "dog_ball_000003.png")), cv2.COLOR_BGR2RGB)
    assert np.array_equal(png, frame)
    low = _export(three[:1], "coco", tmp_path / "q40", quality=40)
    high = _export(three[:1], "coco", tmp_path / "q95")
    size = lambda root: (root / "images" / "dog_ball" / "000003.jpg").stat().st_size  # noqa: E731
    assert size(low) < 0.7 * size(high)
    with pytest.raises(ExportError, match="--quality applies to jpg images; png is lossless"):
        ExportOptions(image_format="png", quality=80)


def test_davis_imagesets_2017_per_split_read_with_pillow(three, tmp_path: Path) -> None:
    out = _export(three, "davis", tmp_path / "davis", val=0.34)
    splits = split_clips(NAMES, 0.34, 0.0, 0)
    sets = out / "ImageSets" / "2017"
    for subset in ("train", "val"):
        listed = (sets / f"{subset}.txt").read_text().splitlines()
        assert sorted(listed) == sorted(n for n in NAMES if splits[n] == subset)
    for clip, name in zip(three, NAMES, strict=True):
        folder = out / "Annotations" / "Full-Resolution" / name
        assert sorted(p.name for p in folder.iterdir()) == [
            f"{i:05d}.png" for i in range(N)
        ]  # no gaps
        for idx in range(N):
            labels = np.array(Image.open(folder / f"{idx:05d}.png"))
            for oid, mask in _resolved(clip, idx).items():
                assert np.array_equal(labels == oid, mask)
            assert (out / "JPEGImages" / "Full-Resolution" / name / f"{idx:05d}.jpg").is_file()


def test_cli_merges_projects_and_reports(three, tmp_path: Path, capsys) -> None:
    paths = [str(c.project.path) for c in three]
    out = tmp_path / "ds"
    assert (
        main(
            ["export", *paths, "--format", "yolo", "--val", "0.34", "--every", "3", "-o", str(out)]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "3 clips (train 2, val 1), 9 of 36 frames, 3 classes" in err
    assert (
        len(list((out / "images").rglob("*.jpg"))) == 9
    )  # frames 0, 3, 6 of each clip (9 is empty)
    assert (
        main(["export", *paths, "--format", "png", "--val", "0.2", "-o", str(tmp_path / "p"), "-q"])
        == 1
    )
    assert "the png format has no train/val/test split" in capsys.readouterr().err
    assert (
        main(["export", paths[0], "--format", "coco", "--every", "0", "-o", str(tmp_path / "x")])
        == 2
    )
    assert "--every: 0 must be 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "p").exists() and not (tmp_path / "x").exists()
