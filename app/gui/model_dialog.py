"""Model choice, device and weights in one dialog: download (MB progress, cancel), a local folder,
or the test model.

Opened from Track ▸ Model…, and by the editor itself when tracking needs a model that is not on
this machine (``missing`` = the reason): then it offers the three ways out in one place and
closes itself once one of them worked, so the click that needed the model is tracked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.error_report import report_error
from app.gui.jobs import JobBuilder, JobHandle
from app.gui.workers import JobRunner

__all__ = ["ModelDialog", "DEVICES", "TEST_MODEL"]

DEVICES = ("auto", "cpu", "cuda", "mps")
TEST_MODEL = "test-random-micro"


class ModelDialog(QDialog):
    def __init__(
        self,
        runner: JobRunner,
        current: str,
        device: str,
        parent: QWidget | None = None,
        *,
        weights: str | None = None,
        missing: str | None = None,
    ) -> None:
        super().__init__(parent)
        from model.registry import list_models

        self.setWindowTitle("Tracking model needed" if missing else "Tracking model")
        self.runner = runner
        self.missing = missing
        self.weights: str | None = weights
        self._job: JobHandle | None = None
        self.specs = {s.name: s for s in list_models()}
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.headline.setVisible(bool(missing))
        if missing:
            reason = missing.split("; ")[0]  # the ways out are the buttons below
            self.headline.setText(
                f"<b>Tracking needs a model that is not on this machine</b> ({reason}).<br>"
                "Choose one: download it, use a folder you already have, or try the test model."
            )
        self.model_box = QComboBox()
        self.model_box.setObjectName("model_choice")
        self.model_box.addItem("auto (EdgeTAM on CPU, SAM 2.1 base-plus on CUDA)", "auto")
        for s in self.specs.values():
            state = "ready" if s.cached else f"not downloaded, {s.download_mb:.0f} MB"
            label = "TEST ONLY, random weights" if s.hub_id is None else state
            self.model_box.addItem(f"{s.name}  ({label})", s.name)
        k = self.model_box.findData(current)
        self.model_box.setCurrentIndex(max(k, 0))
        self.device_box = QComboBox()
        self.device_box.setObjectName("device_choice")
        self.device_box.addItems(list(DEVICES))
        self.device_box.setCurrentText(device)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.download = QPushButton("Download")
        self.download.setObjectName("download")
        self.download.setToolTip(
            "Fetch the weights from Hugging Face (checked; a cut connection resumes)"
        )
        self.download.clicked.connect(self.start_download)
        self.stop = QPushButton("Cancel download")
        self.stop.setObjectName("cancel_download")
        self.stop.setVisible(False)
        self.stop.clicked.connect(self.cancel_download)
        self.folder = QPushButton("Use a local folder…")
        self.folder.setObjectName("use_folder")
        self.folder.setToolTip("A Hugging Face-format folder: config.json + model.safetensors")
        self.folder.clicked.connect(self._pick_folder)
        self.test = QPushButton(
            f"Use the test model ({TEST_MODEL}: random weights, masks are meaningless)"
        )
        self.test.setObjectName("use_test_model")
        self.test.clicked.connect(self.use_test_model)
        self.progress = QProgressBar()
        self.progress.setObjectName("download_progress")
        self.progress.setVisible(False)
        form = QFormLayout()
        form.addRow("Model", self.model_box)
        form.addRow("Device", self.device_box)
        row = QHBoxLayout()
        row.addWidget(self.download)
        row.addWidget(self.stop)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.headline)
        lay.addLayout(form)
        lay.addWidget(self.info)
        lay.addLayout(row)
        lay.addWidget(self.progress)
        lay.addWidget(self.folder)
        lay.addWidget(self.test)
        lay.addWidget(self.buttons)
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self._describe()

    @property
    def model_name(self) -> str:
        return str(self.model_box.currentData())

    @property
    def device(self) -> str:
        return self.device_box.currentText()

    def _resolved_name(self) -> str:
        from model.registry import default_model

        return default_model("cpu") if self.model_name == "auto" else self.model_name

    def _model_changed(self) -> None:
        self.weights = None  # a registry choice replaces a folder
        self._describe()

    def _describe(self) -> None:
        downloading = self._job is not None
        s = self.specs.get(self._resolved_name())
        if self.weights:
            self.info.setText(f"weights from the folder <b>{self.weights}</b>")
        elif s is None:
            self.info.setText("")
        else:
            if s.hub_id is None:
                state = "built on the fly (random weights: for tests only, masks are meaningless)"
            elif s.cached:
                state = f"weights on disk: {s.path}"
            else:
                state = (
                    f"weights not on this machine ({s.download_mb:.0f} MB): click Download "
                    f"(needs internet) or run `rotokit models download {s.name}`"
                )
            self.info.setText(
                f"<b>{s.name}</b> — {s.description}<br>{s.params_m:.1f} M parameters, "
                f"{s.licence}<br>{state}"
            )
        can_fetch = s is not None and s.hub_id is not None and not s.cached and not self.weights
        self.download.setText(
            f"Download {s.name} ({s.download_mb:.0f} MB)" if can_fetch and s else "Download"
        )
        self.download.setEnabled(can_fetch and not downloading)
        self.download.setVisible(not downloading)
        self.stop.setVisible(downloading)
        self.progress.setVisible(downloading)
        for w in (self.model_box, self.folder, self.test):
            w.setEnabled(not downloading)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not downloading)

    # -- the three ways out ------------------------------------------------------------------
    def use_test_model(self) -> None:
        self.model_box.setCurrentIndex(self.model_box.findData(TEST_MODEL))
        self.accept()

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder with config.json + model.safetensors"
        )
        if folder:
            self.use_folder(folder)

    def use_folder(self, folder: str) -> bool:
        """Take weights from a local HF-format folder (checked here, loaded at the next job)."""
        from model.errors import WeightsUnavailableError
        from model.registry import resolve_weights

        try:
            resolve_weights(folder, offline=True)
        except WeightsUnavailableError as exc:
            report_error(self, exc, "Model folder")
            return False
        self.weights = str(Path(folder))
        self._describe()
        if self.missing:
            self.accept()
        return True

    def start_download(self) -> JobHandle | None:
        from app.errors import Cancelled
        from model.errors import DownloadCancelled
        from model.registry import download_model

        name = self._resolved_name()

        def job(cancel: threading.Event, progress: Callable[[int, int], None]) -> Iterator[str]:
            try:  # kB: the signal carries C ints
                yield str(
                    download_model(
                        name, on_bytes=lambda d, t: progress(d // 1024, t // 1024), cancel=cancel
                    )
                )
            except DownloadCancelled:
                raise Cancelled(f"download of {name} stopped") from None

        try:
            self._job = (
                JobBuilder(self.runner, job, name="download", mutating=False)
                .on_progress(self._on_progress)
                .on_success(self._download_done)
                .on_cancel(self._download_cancelled)
                .on_failure(self._download_failed)
                .launch()
            )
        except Exception as exc:  # noqa: BLE001
            report_error(self, exc, "Download")
            return None
        self.progress.setRange(0, 0)  # until the hub reports the sizes
        self.progress.setFormat("connecting…")
        self._describe()
        return self._job

    def cancel_download(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _on_progress(self, done_kb: int, total_kb: int) -> None:
        if total_kb > 0:
            self.progress.setFormat(f"{done_kb / 1024:.1f} / {total_kb / 1024:.1f} MB")
            self.progress.setRange(0, total_kb)
            self.progress.setValue(min(done_kb, total_kb))

    def _download_done(self) -> None:
        from model.registry import list_models

        self._job = None
        self.specs = {s.name: s for s in list_models()}
        self._describe()
        if self.missing:
            self.accept()

    def _download_cancelled(self) -> None:
        self._job = None
        self._describe()
        self.info.setText(self.info.text() + "<br>Download cancelled.")

    def _download_failed(self, exc: BaseException) -> None:
        self._job = None
        self._describe()
        report_error(self, exc, "Download")

    def reject(self) -> None:
        self.cancel_download()
        super().reject()
