"""`rotokit batch anonymize --engine ray` on a private local Ray instance: the same outputs,
report and exit code as the local engine, and a rerun skips what is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch.conftest import BROKEN, GOOD, by_name, report, run
from tests.batch.test_batch_local import check_first_run

pytest.importorskip("ray", reason="the Ray engine needs the ray extra: pip install -e '.[ray]'")

pytestmark = pytest.mark.ray


def test_ray_engine_makes_both_outputs_reports_the_bad_file_and_resumes(
        clip_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "--engine", "ray", "--jobs", "2")
    first = check_first_run(out, clip_folder, code, err)
    assert first["people.mp4"]["faces"] >= 1

    stamps = {rel: (out / rel).stat().st_mtime_ns for rel in GOOD}
    code, err = run("batch", "anonymize", str(clip_folder), "-o", str(out), "--engine", "ray", "-q")
    assert code == 1, err
    rerun = by_name(report(out)[-3:], clip_folder)
    assert {k: v["status"] for k, v in rerun.items()} == {
        "people.mp4": "skipped", "sub/blocks.mp4": "skipped", BROKEN: "failed"}
    assert rerun[BROKEN]["error"] == first[BROKEN]["error"]
    assert {rel: (out / rel).stat().st_mtime_ns for rel in GOOD} == stamps
