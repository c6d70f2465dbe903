"""The YOLO export loaded by Ultralytics itself, from another working directory.

Ultralytics is AGPL-3.0: it is not a dependency of rotokit and this test only runs where it is
installed (`make test-consumers` installs it into the venv). It checks what a user's
`yolo segment train data=DIR/data.yaml` does first: `check_det_dataset` resolves the splits
and `YOLODataset` reads every image and label, none corrupt, with our polygons and classes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.export import Clip, ExportOptions, export_clips
from tests.export.clips import EMPTY, N, TrackedClip, make_clip

pytest.importorskip("ultralytics")
os.environ.setdefault("YOLO_OFFLINE", "1")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> list[TrackedClip]:
    root = tmp_path_factory.mktemp("yolo")
    made = [
        make_clip(root / "a", media_dir, "dog_ball.mp4", ["dog", "ball"]),
        make_clip(root / "b", media_dir, "bedroom_small.mp4", ["Dog", "person"]),
        make_clip(root / "c", media_dir, "people_audio.mp4", ["ball"]),
    ]
    yield made
    for clip in made:
        clip.store.close()


def test_ultralytics_loads_the_split_dataset_from_any_directory(
    clips, tmp_path: Path, monkeypatch
) -> None:
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    out = export_clips(
        [Clip(c.project, c.store) for c in clips],
        "yolo",
        tmp_path / "dataset",
        options=ExportOptions(val=0.34),
    ).path
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    data = check_det_dataset(str(out / "data.yaml"))
    assert (
        Path(data["train"]) == out / "images" / "train"
        and Path(data["val"]) == out / "images" / "val"
    )
    assert data["names"] == {0: "dog", 1: "ball", 2: "person"} and data["nc"] == 3
    frames = 0
    for split in ("train", "val"):
        dataset = YOLODataset(
            img_path=data[split], data=data, task="segment", augment=False, imgsz=320
        )
        labels = dataset.labels
        assert len(labels) == len(list((out / "images" / split).iterdir()))
        frames += len(labels)
        for label in labels:
            assert len(label["segments"]) == len(label["cls"]) > 0
            assert set(label["cls"].ravel().astype(int)) <= {0, 1, 2}
            assert all(len(s) >= 3 for s in label["segments"])
        item = dataset[0]  # one sample through Ultralytics' own loading + mask rasterisation
        assert item["img"].shape[0] == 3 and item["masks"].any()
    assert frames == 3 * (N - len(EMPTY))
    assert not list(elsewhere.iterdir())  # nothing resolved against (or written to) the working dir
    # The old `path: .` line resolved against the working directory and failed here.
    yaml = (out / "data.yaml").read_text()
    (out / "data.yaml").write_text("path: .\n" + yaml)
    with pytest.raises(FileNotFoundError, match="images not found"):
        check_det_dataset(str(out / "data.yaml"))
