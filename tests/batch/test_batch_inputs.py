"""Batch inputs: folder (recursive), glob, @list.txt and plain files expand to the clips a user
means, outputs mirror their relative paths, and mistakes stop the batch before any work (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.batch.inputs import Clip, expand_inputs
from app.batch.jobs import BatchOptions, output_for
from app.batch.report import ClipResult, Report
from app.cli import main
from tests.batch.conftest import report


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """in/a.mp4, in/notes.txt, in/sub/b.MOV, in/sub/deep/c.webm, in/.hidden/d.mp4"""
    root = tmp_path / "in"
    for rel in ("a.mp4", "notes.txt", "sub/b.MOV", "sub/deep/c.webm", ".hidden/d.mp4"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    return root


def rels(clips: list[Clip]) -> list[str]:
    return [str(c.relative) for c in clips]


def test_folder_is_searched_recursively_for_videos_only(tree: Path) -> None:
    opts = BatchOptions("anonymize", Path("out"))
    assert rels(expand_inputs([str(tree)], opts.suffixes)) == [
        "a.mp4",
        "sub/b.MOV",
        "sub/deep/c.webm",
    ]


def test_glob_list_and_file_inputs_keep_paths_relative_to_their_root(
    tree: Path, tmp_path: Path
) -> None:
    opts = BatchOptions("anonymize", Path("out"))
    assert rels(expand_inputs([f"{tree}/sub/**/*.webm"], opts.suffixes)) == ["deep/c.webm"]
    listing = tmp_path / "todo.txt"
    listing.write_text("# clips to do\nin/a.mp4\n\nin/sub\n")
    clips = expand_inputs([f"@{listing}"], opts.suffixes)
    assert rels(clips) == ["a.mp4", "b.MOV", "deep/c.webm"]  # entries relative to the list's folder
    # the same file named twice is one clip
    assert len(expand_inputs([str(tree / "a.mp4"), f"{tree}/*.mp4"], opts.suffixes)) == 1


def test_outputs_mirror_inputs_and_keep_a_container_the_codec_fits(tree: Path) -> None:
    out = tree.parent / "out"
    anon = BatchOptions("anonymize", out)
    clips = expand_inputs([str(tree)], anon.suffixes)
    assert [output_for(anon, c) for c in clips] == [
        out / "a.mp4",
        out / "sub/b.mov",
        out / "sub/deep/c.mp4",
    ]  # h264 cannot go in .webm
    render = BatchOptions("render", out, {"codec": "prores"})
    assert output_for(render, Clip(tree / "p.rotokit", Path("x/p.rotokit"))) == out / "x/p.mov"
    export = BatchOptions("export", out, {"format": "coco"})
    assert output_for(export, Clip(tree / "p.rotokit", Path("x/p.rotokit"))) == out / "x/p"


def test_the_output_folder_inside_the_input_folder_is_not_an_input(tree: Path) -> None:
    (tree / "out").mkdir()
    (tree / "out" / "a.mp4").write_bytes(b"last run's output")
    clips = expand_inputs(
        [str(tree)], BatchOptions("anonymize", tree / "out").suffixes, exclude=tree / "out"
    )
    assert rels(clips) == ["a.mp4", "sub/b.MOV", "sub/deep/c.webm"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nowhere/"], "no such file or folder"),
        (["{tree}/*.mkv"], "no file matches"),
        (["@{tree}/missing.txt"], "cannot read the input list"),
    ],
)
def test_inputs_that_name_nothing_are_usage_errors(
    tree: Path, tmp_path: Path, capsys, args, message
) -> None:
    code = main(
        ["batch", "anonymize", *[a.format(tree=tree) for a in args], "-o", str(tmp_path / "o")]
    )
    assert code == 2
    assert message in capsys.readouterr().err


def test_two_inputs_writing_one_output_stop_before_any_work(
    tree: Path, tmp_path: Path, capsys
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.mp4").write_bytes(b"x")  # same name as in/a.mp4 → both would write out/a.mp4
    out = tmp_path / "out"
    code = main(["batch", "anonymize", str(tree / "a.mp4"), str(other / "a.mp4"), "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "would both write" in err and str(out / "a.mp4") in err
    assert not (out / "report.jsonl").exists()


def test_resume_needs_the_same_fingerprint_options_and_an_existing_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    made = out / "a.mp4"
    made.parent.mkdir()
    made.write_bytes(b"video")
    rep = Report(out)
    rep.append(
        ClipResult(
            input="/in/a.mp4",
            output=str(made),
            status="done",
            frames=3,
            fingerprint="sha256:1",
            options="o1",
        )
    )
    rep.close()
    assert report(out)[0]["frames"] == 3
    again = Report(out)
    assert again.is_done("/in/a.mp4", made, "sha256:1", "o1")
    assert not again.is_done("/in/a.mp4", made, "sha256:2", "o1")  # the input changed
    assert not again.is_done("/in/a.mp4", made, "sha256:1", "o2")  # other options
    made.unlink()
    assert not again.is_done("/in/a.mp4", made, "sha256:1", "o1")  # the output was deleted
