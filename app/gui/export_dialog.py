"""Export: the edited video (codec, quality, audio kept) or a dataset (COCO, YOLO, DAVIS, ...).

The dialog only collects choices and shows progress; the job itself is
`operations.export_job`. Cancel stops it and nothing partial is left (the core guarantees it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ExportDialog", "ExportRequest"]

PRESETS = ("ultrafast", "veryfast", "fast", "medium", "slow")


@dataclass(frozen=True)
class ExportRequest:
    kind: str  # "video" | "dataset"
    output: Path
    codec: str = "h264"
    crf: int | None = None
    preset: str | None = None
    fmt: str = "coco"
    frame_range: tuple[int, int] | None = None


class ExportDialog(QDialog):
    start_requested = Signal(object)  # ExportRequest
    cancel_requested = Signal()

    def __init__(
        self,
        default_stem: Path,
        frame_count: int,
        in_out: tuple[int, int] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from app.export import FORMATS
        from app.media import CODECS

        self.setWindowTitle("Export")
        self.tabs = QTabWidget()
        # video tab
        video = QWidget()
        vf = QFormLayout(video)
        self.codec = QComboBox()
        self.codec.setObjectName("codec")
        self.codec.addItems(list(CODECS))
        self.crf = QSpinBox()
        self.crf.setObjectName("crf")
        self.crf.setRange(0, 63)
        self.crf.setSpecialValueText("codec default")
        self.crf.setValue(0)
        self.crf.setToolTip(
            "Constant quality (lower = better/bigger); 'codec default' = visually lossless preset"
        )
        self.preset = QComboBox()
        self.preset.addItem("codec default", None)
        for p in PRESETS:
            self.preset.addItem(p, p)
        self.video_out = QLineEdit(str(default_stem.with_name(default_stem.name + "_edited.mp4")))
        self.video_out.setObjectName("video_out")
        vf.addRow("Codec", self.codec)
        vf.addRow("Quality (CRF)", self.crf)
        vf.addRow("Speed preset", self.preset)
        vf.addRow("Output file", self._with_browse(self.video_out, folder=False))
        vf.addRow(QLabel("The whole clip is rendered with its original timing; audio is copied."))
        self.tabs.addTab(video, "Video")
        # dataset tab
        data = QWidget()
        df = QFormLayout(data)
        self.fmt = QComboBox()
        self.fmt.setObjectName("dataset_format")
        self.fmt.addItems(list(FORMATS))
        self.data_out = QLineEdit(str(default_stem.with_name(default_stem.name + "_dataset")))
        self.data_out.setObjectName("dataset_out")
        lo, hi = in_out or (0, frame_count)
        self.range_lo, self.range_hi = QSpinBox(), QSpinBox()
        for box, v in ((self.range_lo, lo), (self.range_hi, hi)):
            box.setRange(0, frame_count)
            box.setValue(v)
        rng = QHBoxLayout()
        rng.addWidget(QLabel("Frames"))
        rng.addWidget(self.range_lo)
        rng.addWidget(QLabel("to (exclusive)"))
        rng.addWidget(self.range_hi)
        rng.addStretch(1)
        df.addRow("Format", self.fmt)
        df.addRow("Output folder", self._with_browse(self.data_out, folder=True))
        self.tabs.addTab(data, "Dataset")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result_label = QLabel()
        self.result_label.setObjectName("export_result")
        self.result_label.setWordWrap(True)
        self.start = QPushButton("Export")
        self.start.setObjectName("export_start")
        self.start.clicked.connect(self._start)
        self.cancel = QPushButton("Close")
        self.cancel.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        buttons.addWidget(self.cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        lay.addLayout(rng)  # one range for both tabs: video renders cut their audio to match
        lay.addWidget(self.progress)
        lay.addWidget(self.result_label)
        lay.addLayout(buttons)
        self._running = False

    def _with_browse(self, edit: QLineEdit, *, folder: bool) -> QWidget:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        b = QPushButton("…")
        b.setToolTip("Choose")

        def browse() -> None:
            path = (
                QFileDialog.getExistingDirectory(self, "Dataset folder")
                if folder
                else QFileDialog.getSaveFileName(
                    self, "Output video", edit.text(), "Video (*.mp4 *.mov *.mkv *.webm)"
                )[0]
            )
            if path:
                edit.setText(path)

        b.clicked.connect(browse)
        row.addWidget(b)
        return host

    def request(self) -> ExportRequest:
        if self.tabs.currentIndex() == 0:
            return ExportRequest(
                "video",
                Path(self.video_out.text()).expanduser(),
                codec=self.codec.currentText(),
                crf=self.crf.value() or None,
                preset=self.preset.currentData(),
                frame_range=(self.range_lo.value(), self.range_hi.value()),
            )
        return ExportRequest(
            "dataset",
            Path(self.data_out.text()).expanduser(),
            fmt=self.fmt.currentText(),
            frame_range=(self.range_lo.value(), self.range_hi.value()),
        )

    def _start(self) -> None:
        self.result_label.setText("")
        self.start_requested.emit(self.request())

    def set_running(self, running: bool) -> None:
        self._running = running
        self.start.setEnabled(not running)
        self.tabs.setEnabled(not running)
        self.cancel.setText("Cancel" if running else "Close")
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)

    @Slot(int, int)
    def on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)

    def _cancel_or_close(self) -> None:
        if self._running:
            self.cancel_requested.emit()
        else:
            self.accept()

    def reject(self) -> None:  # Esc / window close: cancel a running export instead of hiding
        if self._running:
            self.cancel_requested.emit()
            return
        super().reject()
