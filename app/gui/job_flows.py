"""Dialog-driven jobs: export and "Find faces" (dialog ↔ job wiring, no business logic).

Each job is built by `operations` and started with its callbacks through `JobBuilder`; the flows
use only the editor's public interface (document, runner, stack, tracking, status, progress,
fail, job_failed, save) and wait for a running job through its outcome (`JobRunner.when_idle`),
never by polling.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.gui import operations as ops
from app.gui.editor import Editor
from app.gui.export_dialog import ExportDialog, ExportRequest
from app.gui.jobs import JobHandle

if TYPE_CHECKING:
    from app.face_search import FaceSearch

__all__ = ["ExportFlow", "FaceFlow"]


class ExportFlow(QObject):
    """Owns one export dialog and its running worker."""

    def __init__(self, window: QWidget, editor: Editor) -> None:
        super().__init__(window)
        self.window, self.editor = window, editor
        self.dialog: ExportDialog | None = None
        self.job: JobHandle | None = None

    def open(self) -> ExportDialog | None:
        doc = self.editor.document
        project = doc.project
        if project is None:
            return None
        if project.path is None:
            QMessageBox.information(
                self.window, "Export", "Save the project first: its masks are stored beside it."
            )
            path, _ = QFileDialog.getSaveFileName(
                self.window,
                "Save project",
                str(project.video_path.with_suffix(".rotokit")),
                "rotokit project (*.rotokit)",
            )
            if not path or not self.editor.save(path) or project.path is None:
                return None
        stem = project.path.with_suffix("")
        self.dialog = ExportDialog(stem, doc.frame_count, self.editor.in_out, self.window)
        self.dialog.start_requested.connect(self.start)
        self.dialog.cancel_requested.connect(self.cancel)
        self.dialog.show()
        return self.dialog

    def _may_write(self, request: ExportRequest, dialog: ExportDialog) -> bool:
        """Never over the source video (or the project); ask before replacing anything else.

        Only decides whether to ask: the core's guard (`app.paths.check_output`, in `render` and
        `export_dataset`) still refuses any output that is one of the project's inputs.
        """
        import os

        from app.errors import ExportError

        out, project = request.output, self.editor.document.project
        if not out.exists() or project is None:
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
            question = (
                f"The folder {out} is not empty: files with the same names will be replaced. "
                "Export into it?"
            )
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
            dialog.show_result("not exported: choose another name")
            return False
        return True

    @Slot(object)
    def start(self, request: ExportRequest) -> None:
        dialog = self.dialog
        if dialog is None or not self._may_write(request, dialog):
            return
        runner = self.editor.runner
        if runner.only_quick_job:  # the mask of the last click is still coming: export after it
            dialog.show_result("waiting for the last click's mask…")
            runner.when_idle(lambda: self._start_job(request, dialog))
        else:
            self._start_job(request, dialog)

    def _start_job(self, request: ExportRequest, dialog: ExportDialog) -> None:
        ed = self.editor
        try:
            self.job = (
                ops.export_job(
                    document=ed.document,
                    runner=ed.runner,
                    request=request,
                    model=ed.tracking.model_name,
                )
                .on_progress(dialog.on_progress)
                .on_item(self._result)
                .on_cancel(lambda: dialog.show_result("cancelled: nothing was written"))
                .on_failure(lambda exc: ed.fail(exc, "Export"))
                .on_end(self._ended)
                .launch()
            )
        except Exception as exc:  # noqa: BLE001
            ed.fail(exc, "Export")
            return
        dialog.set_running(True)

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _result(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_result(text)
        self.editor.status.emit(text)

    def _ended(self) -> None:
        self.job = None
        if self.dialog is not None:
            self.dialog.set_running(False)


class FaceFlow(QObject):
    """Find faces → one blurred object per person (one undo step), masks written off-thread."""

    def __init__(self, window: QWidget, editor: Editor) -> None:
        super().__init__(window)
        self.window, self.editor = window, editor
        self.job: JobHandle | None = None

    def start(self) -> JobHandle | None:
        ed = self.editor
        if not ed.document.is_open:
            return None
        found: list[FaceSearch] = []
        try:
            self.job = (
                ops.find_faces_job(document=ed.document, runner=ed.runner)
                .on_progress(ed.progress.emit)
                .on_item(found.append)
                # the detection job's lock is free now; a click may have started a predict since
                .on_success(lambda: ed.runner.when_idle(lambda: self._add(found[0])))
                .on_failure(lambda exc: ed.job_failed(exc, "Find faces"))
                .launch()
            )
        except Exception as exc:  # noqa: BLE001
            ed.fail(exc, "Find faces")
            return None
        ed.status.emit("looking for faces…")
        return self.job

    def _add(self, result: FaceSearch) -> None:
        ed = self.editor
        try:
            job = ops.face_masks_job(
                document=ed.document,
                stack=ed.stack,
                runner=ed.runner,
                result=result,
                external_ids=ed.tracking.external_ids,
            )
            n = len(result.tracks)
            ed.status.emit(f"found {n} face(s)" if n else "no faces found")
            if job is None:
                self.job = None
                return
            self.job = (
                job.on_progress(ed.progress.emit)
                .on_item(lambda item: ed.document.notify_masks(item[0], item[1]))
                .on_failure(lambda exc: ed.job_failed(exc, "Find faces"))
                .launch()
            )
        except Exception as exc:  # noqa: BLE001
            ed.fail(exc, "Find faces")
