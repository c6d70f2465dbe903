"""Dialog-driven jobs: export and "Find faces" (dialog ↔ worker wiring, no business logic)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.gui import operations as ops
from app.gui.editor import Editor
from app.gui.export_dialog import ExportDialog, ExportRequest

__all__ = ["ExportFlow", "FaceFlow"]


class ExportFlow(QObject):
    """Owns one export dialog and its running worker."""

    def __init__(self, window: QWidget, editor: Editor) -> None:
        super().__init__(window)
        self.window, self.editor = window, editor
        self.dialog: ExportDialog | None = None
        self.worker = None

    def open(self) -> ExportDialog | None:
        doc = self.editor.document
        if not doc.is_open:
            return None
        if doc.project.path is None:
            QMessageBox.information(
                self.window, "Export", "Save the project first: its masks are stored beside it."
            )
            path, _ = QFileDialog.getSaveFileName(
                self.window,
                "Save project",
                str(doc.project.video_path.with_suffix(".rotokit")),
                "rotokit project (*.rotokit)",
            )
            if not path or not self.editor.save(path):
                return None
        stem = doc.project.path.with_suffix("")
        self.dialog = ExportDialog(stem, doc.frame_count, self.editor.in_out, self.window)
        self.dialog.start_requested.connect(self.start)
        self.dialog.cancel_requested.connect(self.cancel)
        self.dialog.show()
        return self.dialog

    def _may_write(self, request: ExportRequest) -> bool:
        """Never over the source video (or the project); ask before replacing anything else.

        Only decides whether to ask: the core's guard (`app.paths.check_output`, in `render` and
        `export_dataset`) still refuses any output that is one of the project's inputs.
        """
        import os

        from app.errors import ExportError

        out, project = request.output, self.editor.document.project
        if not out.exists():
            return True
        for name, path in (
            ("the source video", project.video_path),
            ("the project file", project.path),
        ):
            if path is not None and Path(path).exists() and os.path.samefile(out, path):
                self.editor.fail(
                    ExportError(
                        f"{out}: is {name}; rotokit never writes over it — choose another name"
                    ),
                    "Export",
                )
                return False
        if request.kind == "video" or out.is_file():
            question = f"{out.name} already exists. Replace it?"
        elif any(out.iterdir()):
            question = f"The folder {out} is not empty: files with the same names will be replaced. Export into it?"
        else:
            return True
        answer = QMessageBox.question(
            self.window,
            "Replace?",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.dialog.show_result("not exported: choose another name")
            return False
        return True

    @Slot(object)
    def start(self, request: ExportRequest) -> None:
        if not self._may_write(request):
            return
        if self.editor.runner.only_quick_job:  # the mask of the last click is still coming
            self.dialog.show_result("waiting for the last click's mask…")
        self._start_job(request)

    def _start_job(self, request: ExportRequest) -> None:
        if self.editor.runner.only_quick_job:
            QTimer.singleShot(50, lambda: self._start_job(request))
            return
        try:
            model = self.editor.tracking.model_name
            self.worker = ops.start_export(
                document=self.editor.document,
                runner=self.editor.runner,
                request=request,
                model=model,
            )
        except Exception as exc:  # noqa: BLE001
            self.editor.fail(exc, "Export")
            return
        d = self.dialog
        d.set_running(True)
        self.worker.progressed.connect(d.on_progress)
        self.worker.item_ready.connect(self._result)
        self.worker.finished.connect(self._done)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.failed.connect(self._failed)
        self.editor.runner.launch(self.worker)

    @Slot()
    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.request_cancel()

    @Slot(object)
    def _result(self, text: object) -> None:
        self.dialog.show_result(str(text))
        self.editor.status.emit(str(text))

    @Slot()
    def _done(self) -> None:
        self.dialog.set_running(False)
        self.worker = None

    @Slot()
    def _cancelled(self) -> None:
        self.dialog.set_running(False)
        self.dialog.show_result("cancelled: nothing was written")
        self.worker = None

    @Slot(object)
    def _failed(self, exc: object) -> None:
        self.dialog.set_running(False)
        self.worker = None
        self.editor.fail(
            exc if isinstance(exc, BaseException) else RuntimeError(str(exc)), "Export"
        )


class FaceFlow(QObject):
    """Find faces → one blurred object per person (one undo step), masks written off-thread."""

    def __init__(self, window: QWidget, editor: Editor) -> None:
        super().__init__(window)
        self.window, self.editor = window, editor
        self.worker = None

    def start(self):
        ed = self.editor
        if not ed.document.is_open:
            return None
        try:
            self.worker = ops.start_find_faces(document=ed.document, runner=ed.runner)
        except Exception as exc:  # noqa: BLE001
            ed.fail(exc, "Find faces")
            return None
        ed._watch_progress(self.worker)
        self.worker.item_ready.connect(self._found)
        self.worker.failed.connect(ed._on_job_failed)
        ed.status.emit("looking for faces…")
        ed.runner.launch(self.worker)
        return self.worker

    @Slot(object)
    def _found(self, result: object) -> None:
        # The detection job still holds the lock until its outcome is emitted; queue the rest.
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: self._add(result))

    def _add(self, result: object) -> None:
        ed = self.editor
        if ed.runner.busy:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(20, lambda: self._add(result))
            return
        try:
            worker = ops.add_face_objects(
                document=ed.document,
                stack=ed.stack,
                runner=ed.runner,
                result=result,
                external_ids=ed.tracking.external_ids,
            )
        except Exception as exc:  # noqa: BLE001
            ed.fail(exc, "Find faces")
            return
        n = len(result.tracks)  # type: ignore[attr-defined]
        ed.status.emit(f"found {n} face(s)" if n else "no faces found")
        if worker is None:
            return
        ed._watch_progress(worker)
        worker.item_ready.connect(ed._on_face_masks)
        worker.failed.connect(ed._on_job_failed)
        self.worker = worker
        ed.runner.launch(worker)
