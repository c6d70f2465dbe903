"""`rotokit models`: the registry as a user sees it, and the offline message."""

from __future__ import annotations

from app.cli import main


def test_models_list_names_every_model_and_marks_test_models(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "sam2.1-tiny",
        "sam2.1-small",
        "sam2.1-base-plus",
        "sam2.1-large",
        "edgetam",
        "test-random-micro",
    ):
        assert name in out
    test_line = next(line for line in out.splitlines() if line.startswith("test-random-micro "))
    assert "TEST ONLY" in test_line
    assert "CPU default" in next(line for line in out.splitlines() if line.startswith("edgetam "))


def test_models_path_without_weights_says_how_to_get_them(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "path", "sam2.1-tiny"]) == 1
    err = capsys.readouterr().err
    assert "sam2.1-tiny" in err and "rotokit models download" in err


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["models", "path", "sam9-giant"]) == 1
    assert "sam9-giant" in capsys.readouterr().err


def test_track_without_weights_names_all_three_ways_out(capsys, tmp_path, monkeypatch):
    """A missing model stops `rotokit track` with download, --weights and the test model named."""
    import shutil

    from app.project import Project, Prompt, add_object, add_prompt, save_project
    from tests.shared_media import clip_path

    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    video = tmp_path / "dog_ball.mp4"
    shutil.copy(clip_path("dog_ball.mp4"), video)
    project = Project.new(video)
    obj = add_object(project, "dog")
    add_prompt(project, obj.id, Prompt(0, points=[[480, 220]], labels=[1]))
    path = tmp_path / "dog.rotokit"
    project.set_path(path)
    save_project(project)
    for extra in (["--offline"], []):  # only the cache, or a download that cannot happen
        assert main(["track", str(path), "--model", "edgetam", "-q", *extra]) == 1
        err = capsys.readouterr().err
        assert "edgetam" in err and err.count("\n") == 1
        assert "--weights" in err and "--model test-random-micro" in err
        assert "rotokit models download edgetam" in err or "HF_HUB_OFFLINE" in err


def test_models_download_offline_does_not_tell_you_to_run_itself(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("ROTOKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "download", "sam2.1-tiny", "-q"]) == 1
    err = capsys.readouterr().err
    assert "sam2.1-tiny" in err and "HF_HUB_OFFLINE" in err and "--weights" in err
    assert "rotokit models download" not in err
