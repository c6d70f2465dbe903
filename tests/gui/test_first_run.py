"""First run (issue 13 #1): the model loads in the background; a missing model is one dialog
offering download (MB progress, cancel, resume after a cut), a local folder, or the test model."""

from __future__ import annotations

import pytest

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def micro_folder(tmp_path_factory):
    """A real HF-format EdgeTAM folder (scaled down, random): what the local hub serves."""
    from tests.hub_server import save_micro_model

    return save_micro_model(tmp_path_factory.mktemp("micro") / "edgetam-hf")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))


def ask_for_model(qtbot, w, clip):
    """Open the clip with a model that is not here and click: the model dialog must come up."""
    assert w.open_path(str(clip))
    w.editor.click(480, 220, 1)
    qtbot.waitUntil(lambda: w._model_dlg is not None and w._model_dlg.isVisible(), timeout=60_000)
    return w._model_dlg


def test_model_loads_in_the_background_when_a_clip_opens(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.editor.tracking.loaded_model is None
    assert w.open_path(str(clip))
    qtbot.waitUntil(
        lambda: w.editor.tracking.loaded_model is not None, timeout=60_000
    )  # no click needed
    assert w.editor.tracking.loaded_model[0] == "test-random-micro"
    qtbot.waitUntil(
        lambda: "not loaded" not in w.model_label.text(), timeout=5000
    )  # the status bar says so
    assert "test-random-micro" in w.model_label.text()
    assert "engine: torch eager" in w.model_label.text()  # what runs the network (issue 14)
    assert not errors, errors


def test_missing_model_offers_the_test_model(qtbot, make_window, clip, errors, offline):
    w = make_window(model="edgetam")
    dlg = ask_for_model(qtbot, w, clip)
    text = dlg.headline.text()
    assert "edgetam" in text and "not on this machine" in text
    assert dlg.download.isEnabled() and "56 MB" in dlg.download.text()
    assert "random weights" in dlg.test.text() and "meaningless" in dlg.test.text()
    assert not errors  # a dialog offering the ways out, not an error box
    dlg.test.click()
    assert not dlg.isVisible()
    ed = w.editor
    wait_idle(qtbot, ed)
    (obj,) = ed.document.project.objects
    qtbot.waitUntil(
        lambda: ed.document.store.get(0, obj.id) is not None, timeout=60_000
    )  # the waiting click
    assert ed.tracking.model_name == "test-random-micro"
    assert not errors, errors


def test_missing_model_from_a_local_folder(
    qtbot, make_window, clip, errors, offline, micro_folder, tmp_path
):
    w = make_window(model="edgetam")
    dlg = ask_for_model(qtbot, w, clip)
    (tmp_path / "empty").mkdir()
    assert not dlg.use_folder(str(tmp_path / "empty"))  # not HF format: said, dialog stays
    assert len(errors) == 1 and "config.json" in str(errors[0][1]) and dlg.isVisible()
    errors.clear()
    assert dlg.use_folder(str(micro_folder))
    assert not dlg.isVisible()
    ed = w.editor
    (obj,) = ed.document.project.objects
    qtbot.waitUntil(lambda: ed.document.store.get(0, obj.id) is not None, timeout=60_000)
    assert ed.tracking.weights == str(micro_folder)
    assert ed.tracking.loaded_model[0] == str(micro_folder)
    assert not errors, errors


def test_download_progress_cancel_and_resume_after_a_cut(
    qtbot, make_window, clip, errors, micro_folder, monkeypatch
):
    """Against a local hub (real HTTP): determinate MB progress, Cancel stops it, a download whose
    connection is cut resumes with a Range request, and the clicked object is tracked afterwards."""
    import huggingface_hub.constants

    from model import registry
    from tests.hub_server import HubServer

    server = HubServer(registry.MODELS["edgetam"].hub_id, micro_folder, chunk_delay=0.02)
    try:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        w = make_window(model="edgetam")
        dlg = ask_for_model(qtbot, w, clip)
        shown = []
        dlg.progress.valueChanged.connect(
            lambda _v: shown.append((dlg.progress.maximum(), dlg.progress.format()))
        )
        total_mb = sum(p.stat().st_size for p in micro_folder.iterdir()) / 2**20
        dlg.download.click()
        # the total grows as each file starts; wait for the weights file to be under way
        qtbot.waitUntil(
            lambda: any(f.endswith(f"/ {total_mb:.1f} MB") for _, f in shown), timeout=30_000
        )
        dlg.cancel_download()
        qtbot.waitUntil(lambda: dlg._job is None, timeout=30_000)
        assert "cancelled" in dlg.info.text() and dlg.isVisible() and not errors
        assert (
            not {s.name: s for s in registry.list_models()}["edgetam"].cached
            and "not downloaded" in dlg.model_box.currentText()
        )
        maximum, fmt = shown[-1]
        assert fmt.endswith(f"/ {total_mb:.1f} MB") and float(fmt.split(" /")[0]) < total_mb

        server.chunk_delay, server.cut_after = 0.0, 3 * 2**20  # now the network drops after 3 MB
        dlg.download.click()
        qtbot.waitUntil(
            lambda: not dlg.isVisible(), timeout=60_000
        )  # done: the dialog closes itself
        assert server.ranges and server.ranges[-1].startswith("bytes=")  # resumed, not restarted
        assert shown[-1][1] == f"{total_mb:.1f} / {total_mb:.1f} MB"
        assert registry.model_path("edgetam").is_dir()
        ed = w.editor
        (obj,) = ed.document.project.objects
        qtbot.waitUntil(lambda: ed.document.store.get(0, obj.id) is not None, timeout=60_000)
        assert ed.tracking.loaded_model[0] == "edgetam"
        assert not errors, errors
    finally:
        server.close()
