"""The main window: assembles the widgets and wires their intents to the `Editor`. Nothing else."""

from __future__ import annotations

from pathlib import Path

import psutil
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.gui import operations as ops
from app.gui.editor import Editor
from app.gui.effects_panel import EffectsPanel
from app.gui.files import VIDEO_FILTER, recovery_for, settings
from app.gui.focus import FocusReturn
from app.gui.job_flows import ExportFlow, FaceFlow
from app.gui.model_dialog import ModelDialog
from app.gui.objects_panel import BACKGROUND, ObjectsPanel
from app.gui.theme import icon
from app.gui.timeline_widget import LEGEND, TimelineWidget
from app.gui.transport_bar import TransportBar
from app.gui.viewer_widget import ViewerWidget

__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    def __init__(
        self, model: str | None = None, device: str | None = None, weights: str | None = None
    ) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.editor = ed = Editor(self)
        s = settings()
        if weights is None and model is None:
            weights = str(s.value("weights", "")) or None  # the folder chosen last time
        ed.tracking.set_model(
            model or str(s.value("model", "auto")),
            device or str(s.value("device", "auto")),
            weights,
        )
        self._model_dlg: ModelDialog | None = None
        doc = ed.document
        self.viewer = ViewerWidget()
        self.timeline = TimelineWidget()
        self.transport = TransportBar()
        self.objects = ObjectsPanel(doc)
        self.effects = EffectsPanel(doc)
        self.export_flow = ExportFlow(self, ed)
        self.face_flow = FaceFlow(self, ed)
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.viewer, 1)
        lay.addWidget(self.transport)
        lay.addWidget(self.timeline)
        self.legend = QLabel(LEGEND)  # what the lanes' marks mean (hover a lane for one frame)
        self.legend.setObjectName("lane_legend")
        self.legend.setStyleSheet("color: #9a9aa0; font-size: 11px; padding: 0 6px;")
        lay.addWidget(self.legend)
        self.setCentralWidget(centre)
        for title, widget, name in (
            ("Objects", self.objects, "objects_dock"),
            ("Effects", self.effects, "effects_dock"),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self._wire()
        self.focus_return = FocusReturn(self, self.viewer)
        self._build_actions()
        self._build_status_bar()
        self._update_title()

    # -- wiring ------------------------------------------------------------------------------
    def _wire(self) -> None:
        ed, doc, st = self.editor, self.editor.document, self.editor.stack
        ed.frame_ready.connect(self._show_frame)
        ed.position_changed.connect(self._show_position)
        ed.lanes_ready.connect(self.timeline.set_lanes)
        ed.clip_opened.connect(self._on_clip)
        ed.playing_changed.connect(self.transport.set_playing)
        ed.busy_changed.connect(self.transport.set_busy)
        ed.progress.connect(self.transport.set_progress)
        ed.queued_changed.connect(self.transport.set_queued)
        ed.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        ed.active_changed.connect(self._on_active)
        ed.range_changed.connect(self.timeline.set_range)
        ed.model_missing.connect(lambda message: self.model_dialog(missing=message))
        ed.tracking.model_missing.connect(
            lambda message: self.statusBar().showMessage(
                f"{message.split(';')[0]} — you will be asked at the first click "
                "(or Track ▸ Model…)",
                15000,
            )
        )
        doc.dirty_changed.connect(lambda _d: self._update_title())
        doc.project_changed.connect(lambda _e: self._update_title())
        self.viewer.point_requested.connect(ed.click)
        self.viewer.box_requested.connect(ed.box)
        self.timeline.frame_requested.connect(ed.show_frame)
        t = self.transport
        t.play_toggled.connect(ed.toggle_play)
        t.step_requested.connect(ed.step)
        t.jump_requested.connect(ed.jump)
        t.frame_requested.connect(ed.show_frame)
        t.preview_toggled.connect(ed.set_preview)
        ed.preview_changed.connect(t.set_preview)
        t.propagate_requested.connect(ed.propagate)
        t.stop_requested.connect(ed.stop)
        o = self.objects
        o.add_requested.connect(
            lambda: self._edit(lambda: ed.set_active(ops.add_object(document=doc, stack=st)))
        )
        o.remove_requested.connect(
            lambda i: self._edit(lambda: ops.remove_object(document=doc, stack=st, obj_id=i))
        )
        o.colour_requested.connect(
            lambda i, c: self._edit(
                lambda: ops.set_colour(document=doc, stack=st, obj_id=i, colour=c)
            )
        )
        o.move_requested.connect(
            lambda i, d: self._edit(
                lambda: ops.move_object(document=doc, stack=st, obj_id=i, delta=d)
            )
        )
        o.model.rename_requested.connect(
            lambda i, n: self._edit(
                lambda: ops.rename_object(document=doc, stack=st, obj_id=i, name=n)
            )
        )
        o.model.visible_requested.connect(
            lambda i, v: self._edit(
                lambda: ops.set_visible(document=doc, stack=st, obj_id=i, visible=v)
            )
        )
        o.active_changed.connect(ed.set_active)
        self.effects.stack_edited.connect(
            lambda target, effects, key: self._edit(
                lambda: ops.set_effects(
                    document=doc,
                    stack=st,
                    obj_id=None if target == BACKGROUND else target,
                    effects=effects,
                    merge_key=key,
                )
            )
        )

    def _edit(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - refused edits are a dialog, never a crash
            self.editor.fail(exc, "Edit")

    def _build_actions(self) -> None:
        ed = self.editor
        menus = {
            name: self.menuBar().addMenu(name) for name in ("&File", "&Edit", "&View", "&Track")
        }
        self.named_actions: dict[str, QAction] = {}

        def act(
            menu: str, name: str, text: str, slot, shortcut=None, ico: str | None = None
        ) -> QAction:
            a = QAction(text, self)
            a.setObjectName(name)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
                a.setToolTip(
                    f"{text.replace('&', '').rstrip('…')} ({QKeySequence(shortcut).toString()})"
                )
            if ico:
                a.setIcon(icon(ico))
            a.triggered.connect(lambda _=False: slot())
            if shortcut is not None and "Ctrl" in QKeySequence(shortcut).toString():
                # whatever has focus, even right after a dialog closed (single keys stay
                # window-wide so they never fire inside the export dialog's fields)
                a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            menus[menu].addAction(a)
            self.addAction(a)  # shortcuts work with the menu closed
            self.named_actions[name] = a
            return a

        act(
            "&File",
            "open",
            "&Open…",
            self.open_dialog,
            QKeySequence.StandardKey.Open,
            "fa6s.folder-open",
        )
        self.recent_menu = menus["&File"].addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        act("&File", "save", "&Save", self.save, QKeySequence.StandardKey.Save, "fa6s.floppy-disk")
        act("&File", "save_as", "Save &as…", self.save_as, QKeySequence.StandardKey.SaveAs)
        act("&File", "export", "&Export…", self.export_flow.open, "Ctrl+E", "fa6s.file-export")
        act(
            "&File", "quit", "&Quit", self.close, "Ctrl+Q"
        )  # StandardKey.Quit is empty on some desktops
        undo, redo = (
            ed.stack.createUndoAction(self, "&Undo"),
            ed.stack.createRedoAction(self, "&Redo"),
        )
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for a in (undo, redo):
            a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            menus["&Edit"].addAction(a)
            self.addAction(a)
        self.named_actions["undo"], self.named_actions["redo"] = undo, redo
        act("&Edit", "add_object", "&New object", self.objects.add_requested.emit, "N", "fa6s.plus")
        act(
            "&Edit",
            "find_faces",
            "Find &faces (blur each)",
            self.face_flow.start,
            "Ctrl+Shift+F",
            "fa6s.user-secret",
        )
        act("&View", "fit", "&Fit", self.viewer.fit, "F")
        act("&View", "actual", "&100 %", self.viewer.actual_size, "1")
        act("&View", "preview", "Effects &preview", self.transport.preview.click, "E")
        act("&View", "play", "&Play / pause", ed.toggle_play, Qt.Key.Key_Space)
        act("&View", "prev", "Previous frame", lambda: ed.step(-1), Qt.Key.Key_Left)
        act("&View", "next", "Next frame", lambda: ed.step(1), Qt.Key.Key_Right)
        act("&View", "home", "First frame", lambda: ed.jump("home"), Qt.Key.Key_Home)
        act("&View", "end", "Last frame", lambda: ed.jump("end"), Qt.Key.Key_End)
        act(
            "&View",
            "goto",
            "&Go to frame",
            self._go_to_frame,
            "Ctrl+G",
        )
        act("&Track", "forward", "Track &forward", lambda: ed.propagate("forward"), "Ctrl+F")
        act("&Track", "backward", "Track &backward", lambda: ed.propagate("backward"), "Ctrl+B")
        act("&Track", "both", "Track &whole range", lambda: ed.propagate("both"), "Ctrl+T")
        act("&Track", "stop", "&Stop", ed.stop, Qt.Key.Key_Escape)
        act("&Track", "set_in", "Set &in point", ed.set_in, "I")
        act("&Track", "set_out", "Set &out point", ed.set_out, "O")
        act("&Track", "model", "&Model…", self.model_dialog, None, "fa6s.microchip")
        tb = self.addToolBar("main")
        tb.setObjectName("main_toolbar")
        for name in ("open", "save", "export", "add_object", "find_faces", "model"):
            tb.addAction(self.named_actions[name])

    def _build_status_bar(self) -> None:
        self.model_label, self.memory_label = QLabel(), QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.memory_label)
        self.editor.tracking.model_loaded.connect(lambda n, d: self._update_status())
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start(2000)
        self._update_status()

    def _update_status(self) -> None:
        tr = self.editor.tracking
        loaded = tr.loaded_model
        name, device = loaded if loaded else (f"{tr.model_name} (not loaded)", tr.device)
        engine = tr.loaded_engine if loaded else None
        self.model_label.setText(
            f"model: {name} · device: {device}" + (f" · engine: {engine}" if engine else "")
        )
        self.memory_label.setText(f"memory: {psutil.Process().memory_info().rss / 2**20:.0f} MB")

    # -- slots -------------------------------------------------------------------------------
    def _show_frame(self, image, glyphs, frame_idx: int, seconds: float) -> None:
        self.viewer.set_image(image)
        self.viewer.set_prompts(glyphs)

    def _show_position(self, frame_idx: int, seconds: float) -> None:
        self.timeline.set_current(frame_idx)
        self.transport.show_frame(frame_idx, seconds)

    def _on_clip(self, n: int, time_of) -> None:
        self.timeline.set_clip(n, time_of)
        if self.editor.in_out:
            self.timeline.set_range(*self.editor.in_out)
        self.transport.set_clip(n)
        self.viewer.fit()

    def _on_active(self, obj_id: int) -> None:
        if self.objects.active_obj_id != obj_id:
            self.objects.set_active(obj_id)
        self.effects.set_target(obj_id)

    def _go_to_frame(self) -> None:
        """Ctrl+G: type a frame number (Enter or Esc gives the keys back to the editor)."""
        self.transport.frame_box.setFocus()
        self.transport.frame_box.selectAll()

    def _update_title(self) -> None:
        self.setWindowTitle(self.editor.document.title)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.editor.recent.paths():
            action = self.recent_menu.addAction(Path(p).name)
            action.triggered.connect(lambda _=False, p=p: self.open_path(p))
            action.setToolTip(p)

    # -- files -------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video or project", "", VIDEO_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        if not self.maybe_save():
            return False
        auto = recovery_for(path)
        if auto is not None:
            answer = QMessageBox.question(
                self,
                "Recover",
                f"rotokit found unsaved changes to {Path(path).name} from an earlier session "
                f"(autosave {auto}). Recover them?",
            )
            if answer == QMessageBox.StandardButton.Yes:
                return self.editor.open_path(path, recover_from=auto)
            auto.unlink(missing_ok=True)
        return self.editor.open_path(path)

    def save(self) -> bool:
        doc = self.editor.document
        if doc.project is None:
            return False
        return self.editor.save() if doc.project.path is not None else self.save_as()

    def save_as(self) -> bool:
        doc = self.editor.document
        if doc.project is None:
            return False
        start = str(doc.project.path or doc.project.video_path.with_suffix(".rotokit"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project", start, "rotokit project (*.rotokit)"
        )
        return bool(path) and self.editor.save(path)

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False if the user cancelled."""
        doc = self.editor.document
        if doc.project is None or not doc.project.dirty:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save changes to {doc.title.split(' — ')[0].rstrip(' *')}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            doc.discard_autosave()
            doc.project.set_dirty(False)
            return True
        return False

    def model_dialog(self, missing: str | None = None) -> ModelDialog:
        """Track ▸ Model…, or (``missing``) the first-run choice: download / local folder / test
        model."""
        if self._model_dlg is not None and self._model_dlg.isVisible():
            return self._model_dlg
        tr = self.editor.tracking
        dlg = ModelDialog(
            self.editor.runner, tr.model_name, tr.device, self, weights=tr.weights, missing=missing
        )
        dlg.accepted.connect(self._model_chosen)
        self._model_dlg = dlg
        dlg.open()  # window-modal, does not block the event loop (downloads report progress)
        return dlg

    def _model_chosen(self) -> None:
        dlg, tr = self._model_dlg, self.editor.tracking
        if dlg is None:
            return
        tr.set_model(dlg.model_name, dlg.device, dlg.weights)
        settings().setValue("model", dlg.model_name)
        settings().setValue("device", dlg.device)
        settings().setValue("weights", dlg.weights or "")
        self._update_status()
        if self.editor.document.is_open:
            self.editor.retry_tracking()

    # -- Qt events ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.open_path(urls[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.editor.shutdown()
        event.accept()
