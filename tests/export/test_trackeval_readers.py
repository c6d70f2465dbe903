"""MOTS and DAVIS exports read by TrackEval's own dataset classes (MIT; `make test-consumers`
installs it: its wheel pins opencv-python, which would clash with our opencv-python-headless,
so it is installed without dependencies). Skipped when TrackEval is not installed.

The ground truth is also handed to TrackEval as the tracker's output, so its HOTA/CLEAR run
over the export must score a perfect 1.0.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from app.export import Clip, ExportOptions, export_clips
from tests.export.clips import N, TrackedClip, make_clip

trackeval = pytest.importorskip("trackeval")


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> list[TrackedClip]:
    root = tmp_path_factory.mktemp("two")
    # "person" is class 2: TrackEval's MOTSChallenge evaluates class 2 ("pedestrian").
    clips = [
        make_clip(root / "a", media_dir, "dog_ball.mp4", ["dog", "person"]),
        make_clip(root / "b", media_dir, "people_audio.mp4", ["Dog", "Person", "person"]),
    ]
    yield clips
    for clip in clips:
        clip.store.close()


def _resolved(clip: TrackedClip, frame: int) -> dict[int, np.ndarray]:
    out, taken = {}, None
    for obj in reversed(clip.project.objects):
        mask = clip.masks[frame].get(obj.id)
        if mask is None:
            continue
        out[obj.id] = mask if taken is None else mask & ~taken
        taken = mask.copy() if taken is None else taken | mask
    return {k: v for k, v in out.items() if v.any()}


def test_trackeval_reads_mots_and_scores_it_perfect(two, tmp_path: Path) -> None:
    out = export_clips(
        [Clip(c.project, c.store) for c in two],
        "mots",
        tmp_path / "mots",
        options=ExportOptions(val=0.5, seed=1),
    ).path
    names = {"dog_ball": two[0], "people_audio": two[1]}
    for split in ("train", "val"):
        trackers = tmp_path / "trackers"
        for seq_dir in (
            out / f"MOTS-{split}"
        ).iterdir():  # the ground truth as the tracker's output
            data = trackers / f"MOTS-{split}" / "rotokit" / "data"
            data.mkdir(parents=True, exist_ok=True)
            shutil.copy(seq_dir / "gt" / "gt.txt", data / f"{seq_dir.name}.txt")
        config = {
            "GT_FOLDER": str(out),
            "TRACKERS_FOLDER": str(trackers),
            "SPLIT_TO_EVAL": split,
            "PRINT_CONFIG": False,
            "TRACKERS_TO_EVAL": ["rotokit"],
        }
        dataset = trackeval.datasets.MOTSChallenge(config)
        assert len(dataset.seq_list) == 1
        seq = dataset.seq_list[0]
        clip = names[seq]
        raw = dataset.get_raw_seq_data("rotokit", seq)
        assert raw["num_timesteps"] == N
        for t in range(N):
            expected = _resolved(clip, t)
            got = {
                int(i) % 1000: mask_utils.decode(d).astype(bool)
                for i, d in zip(raw["gt_ids"][t], raw["gt_dets"][t], strict=True)
            }
            assert sorted(got) == sorted(expected)
            for oid, mask in expected.items():
                assert np.array_equal(got[oid], mask)
        evaluator = trackeval.Evaluator(
            {
                "USE_PARALLEL": False,
                "PRINT_RESULTS": False,
                "PRINT_CONFIG": False,
                "OUTPUT_SUMMARY": False,
                "OUTPUT_DETAILED": False,
                "PLOT_CURVES": False,
                "OUTPUT_EMPTY_CLASSES": False,
                "TIME_PROGRESS": False,
                "DISPLAY_LESS_PROGRESS": True,
            }
        )
        results, messages = evaluator.evaluate(
            [dataset], [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR()]
        )
        summary = results["MOTSChallenge"]["rotokit"]["COMBINED_SEQ"]["pedestrian"]
        assert float(np.mean(summary["HOTA"]["HOTA"])) == pytest.approx(1.0)
        assert summary["CLEAR"]["MOTA"] == pytest.approx(1.0)
        shutil.rmtree(trackers)


def test_trackeval_reads_davis(two, tmp_path: Path) -> None:
    out = export_clips(
        [Clip(c.project, c.store) for c in two],
        "davis",
        tmp_path / "davis",
        options=ExportOptions(val=0.5, seed=1),
    ).path
    gt = out / "Annotations" / "Full-Resolution"
    trackers = tmp_path / "trackers"
    shutil.copytree(gt, trackers / "rotokit" / "data")
    dataset = trackeval.datasets.DAVIS(
        {
            "GT_FOLDER": str(gt),
            "TRACKERS_FOLDER": str(trackers),
            "TRACKERS_TO_EVAL": ["rotokit"],
            "SEQMAP_FILE": str(out / "ImageSets" / "2017" / "val.txt"),
            "PRINT_CONFIG": False,
        }
    )
    (seq,) = dataset.seq_list
    clip = {"dog_ball": two[0], "people_audio": two[1]}[seq]
    raw = dataset.get_raw_seq_data("rotokit", seq)
    assert raw["num_timesteps"] == N
    for t in range(N):
        expected = _resolved(clip, t)
        got = {
            int(i): mask_utils.decode(d).astype(bool)
            for i, d in zip(raw["gt_ids"][t], raw["gt_dets"][t], strict=True)
        }
        got = {i: m for i, m in got.items() if m.any()}
        assert sorted(got) == sorted(expected)
        for oid, mask in expected.items():
            assert np.array_equal(got[oid], mask)
