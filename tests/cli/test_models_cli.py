"""`rotokit models`: the registry as a user sees it, and the offline message."""

from __future__ import annotations

from app.cli import main


def test_models_list_names_every_model_and_marks_test_models(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("sam2.1-tiny", "sam2.1-small", "sam2.1-base-plus", "sam2.1-large", "edgetam",
                 "test-random-micro"):
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
