"""Model choice, device and weight download (with progress) in one small dialog.

Missing weights are a message, not a crash: the dialog says which model lacks weights and how to
get them (download here, ``rotokit models download NAME`` or a local folder).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.error_report import report_error
from app.gui.workers import JobRunner

__all__ = ["ModelDialog", "DEVICES"]

DEVICES = ("auto", "cpu", "cuda", "mps")


class ModelDialog(QDialog):
    def __init__(self, runner: JobRunner, current: str, device: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from model.registry import list_models

        self.setWindowTitle("Tracking model")
        self.runner = runner
        self.specs = {s.name: s for s in list_models()}
        self.model_box = QComboBox()
        self.model_box.setObjectName("model_choice")
        self.model_box.addItem("auto (EdgeTAM on CPU, SAM 2.1 base-plus on CUDA)", "auto")
        for s in self.specs.values():
            state = "ready" if s.cached else f"not downloaded, {s.download_mb:.0f} MB"
            self.model_box.addItem(f"{s.name}  ({state})", s.name)
        k = self.model_box.findData(current)
        self.model_box.setCurrentIndex(max(k, 0))
        self.device_box = QComboBox()
        self.device_box.setObjectName("device_choice")
        self.device_box.addItems(list(DEVICES))
        self.device_box.setCurrentText(device)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.download = QPushButton("Download weights")
        self.download.setObjectName("download")
        self.download.setToolTip("Fetch the weights from Hugging Face (resumable, checked)")
        self.download.clicked.connect(self._download)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        form = QFormLayout()
        form.addRow("Model", self.model_box)
        form.addRow("Device", self.device_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.info)
        lay.addWidget(self.download)
        lay.addWidget(self.progress)
        lay.addWidget(buttons)
        self.model_box.currentIndexChanged.connect(self._describe)
        self._describe()

    @property
    def model_name(self) -> str:
        return str(self.model_box.currentData())

    @property
    def device(self) -> str:
        return self.device_box.currentText()

    def _describe(self) -> None:
        name = self.model_name
        if name == "auto":
            from model.registry import default_model

            name = default_model("cpu")
        s = self.specs.get(name)
        if s is None:
            self.info.setText("")
            return
        if s.hub_id is None:
            state = "built on the fly (random weights: for tests only, masks are meaningless)"
        elif s.cached:
            state = f"weights on disk: {s.path}"
        else:
            state = (f"weights not on this machine: click Download (needs internet) or run "
                     f"`rotokit models download {s.name}`")
        self.info.setText(f"<b>{s.name}</b> — {s.description}<br>{s.params_m:.1f} M parameters, "
                          f"{s.licence}<br>{state}")
        self.download.setEnabled(s.hub_id is not None and not s.cached and not self.runner.busy)

    def _download(self) -> None:
        from model.registry import default_model, download_model

        name = self.model_name if self.model_name != "auto" else default_model("cpu")

        def job(cancel: threading.Event, progress) -> Iterator[str]:
            yield str(download_model(name, progress=False))

        try:
            worker = self.runner.start(job, mutating=False, name="download")
        except Exception as exc:  # noqa: BLE001
            report_error(self, exc, "Download")
            return
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)  # the hub does not report sizes up front for every file
        self.download.setEnabled(False)
        worker.finished.connect(self._download_done)
        worker.failed.connect(self._download_failed)
        self.runner.launch(worker)

    @Slot()
    def _download_done(self) -> None:
        from model.registry import list_models

        self.progress.setVisible(False)
        self.specs = {s.name: s for s in list_models()}
        self._describe()

    @Slot(object)
    def _download_failed(self, exc: object) -> None:
        self.progress.setVisible(False)
        self._describe()
        report_error(self, exc if isinstance(exc, BaseException) else RuntimeError(str(exc)), "Download")
