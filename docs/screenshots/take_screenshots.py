"""Real screenshots of the editor at work, for the README (run under Xvfb).

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/take_screenshots.py

1. ``faces.png``: people_audio.mp4 after "Find faces" (real offline CenterFace detection +
   tracking): the face object, its lane, its blur in the effects preview.
2. ``tracking.png``: dog_ball.mp4, two objects clicked and propagated with ``test-random-micro``
   (random weights: the masks show the plumbing, not quality; no SAM 2 weights on this machine),
   masks view with prompts and timeline lanes.
3. ``effects_preview.png``: the same project with a background pixelate and an emoji on an
   object, rendered by the real compositor.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
MEDIA = Path(os.environ.get("ROTOKIT_MEDIA", REPO.parent / "shared" / "media"))
OUT = Path(__file__).resolve().parent


def main() -> int:
    from PySide6.QtWidgets import QApplication

    work = Path(tempfile.mkdtemp(prefix="rotokit-shots-"))
    os.environ["ROTOKIT_CACHE"] = str(work / "cache")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from app.gui.error_report import set_error_sink
    from app.gui.main_window import MainWindow
    from app.gui.theme import apply_dark_theme
    from app.project import rename_object

    apply_dark_theme(app)
    errors: list[str] = []
    set_error_sink(lambda title, exc: errors.append(f"{title}: {exc}"))

    def pump(cond=lambda: False, timeout: float = 0.5) -> None:
        end = time.perf_counter() + timeout
        while not cond() and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)
        for _ in range(20):
            app.processEvents()

    def idle(w) -> bool:
        return not w.editor.runner.busy and w.editor.runner.current is None

    def shot(w, name: str) -> None:
        pump()
        w.grab().save(str(OUT / name))
        print("wrote", OUT / name)

    def open_window(clip_name: str, model: str = "test-random-micro") -> MainWindow:
        """The editor at screenshot size on a fresh copy of a shared clip."""
        clip = work / clip_name
        shutil.copy(MEDIA / clip_name, clip)
        w = MainWindow(model=model, device="cpu")
        w.resize(1400, 860)
        w.show()
        w.open_path(str(clip))
        pump(lambda: not w.editor.frame_pending, 60)  # the first image is drawn off the GUI thread
        return w

    # 0. first run: the model's weights are not here; the first click asks how to get them
    w = open_window("dog_ball.mp4", model="edgetam")
    w.editor.click(520, 235, 1)
    pump(lambda: w._model_dlg is not None and w._model_dlg.isVisible(), 120)
    shot(w._model_dlg, "first_run.png")
    w._model_dlg.reject()
    w.editor.document.project.set_dirty(False)
    w.close()

    # 1. faces
    w = open_window("people_audio.mp4")
    w.face_flow.start()
    pump(lambda: idle(w) and w.editor.document.project.objects and bool(w.editor.document.store.frames_with_mask(w.editor.document.project.objects[0].id)), 300)
    pump(lambda: idle(w), 60)
    objs = w.editor.document.project.objects
    if objs:
        w.objects.set_active(objs[0].id)
    w.editor.show_frame(30)
    w.editor.set_preview(True)  # on already (the face objects came with their blur): keep it on
    pump(lambda: not w.editor.frame_pending, 60)
    shot(w, "faces.png")
    w.editor.document.project.set_dirty(False)
    w.close()

    # 2. tracking with two objects
    w = open_window("dog_ball.mp4")
    ed = w.editor
    ed.click(520, 235, 1)  # the dog
    pump(lambda: idle(w), 300)
    ed.click(470, 200, 1)
    pump(lambda: idle(w), 300)
    rename_object(ed.document.project, ed.active, "dog")
    w.objects.add_requested.emit()
    ed.click(120, 200, 1)  # the woman
    pump(lambda: idle(w), 300)
    ed.click(130, 300, 0)
    pump(lambda: idle(w), 300)
    rename_object(ed.document.project, ed.active, "woman")
    ed.set_range(0, 60)
    ed.propagate("forward")
    pump(lambda: idle(w), 900)
    ed.show_frame(0)
    pump(lambda: not ed.frame_pending, 60)
    shot(w, "tracking.png")

    # 3. effects preview: background pixelate + emoji on the dog
    dog = ed.document.project.objects[0].id
    w.objects.set_active(-1)
    w.effects.add_effect({"type": "pixelate", "block": 14})
    w.objects.set_active(dog)
    w.effects.add_effect({"type": "emoji", "emoji": "🐶", "scale": 1.0})
    assert w.transport.preview.isChecked()  # the first effect turned the preview on
    ed.show_frame(20)
    pump(lambda: not ed.frame_pending, 60)
    shot(w, "effects_preview.png")
    ed.document.project.set_dirty(False)
    w.close()
    if errors:
        print("errors:", *errors, sep="\n  ")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
