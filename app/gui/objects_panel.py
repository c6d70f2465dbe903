"""Objects list (Qt model over ``project.objects`` plus a Background entry) and its buttons.

The model never edits the project: renames and visibility toggles become intent signals the
window turns into undoable commands.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QHBoxLayout, QListView, QVBoxLayout, QWidget

from app.gui.document import EditorDocument
from app.gui.theme import icon, tool_button

__all__ = ["ObjectListModel", "ObjectsPanel", "BACKGROUND"]

BACKGROUND = -1  # row id of the background entry (effects only)
Index = QModelIndex | QPersistentModelIndex


class ObjectListModel(QAbstractListModel):
    rename_requested = Signal(int, str)
    visible_requested = Signal(int, bool)

    def __init__(self, document: EditorDocument) -> None:
        super().__init__()
        self.document = document
        for changed in (
            document.object_added,
            document.object_removed,
            document.object_changed,
            document.objects_reordered,
            document.prompts_changed,  # the row shows the prompt count
        ):
            changed.connect(self.refresh)
        document.opened.connect(self.refresh)
        document.closed.connect(self.refresh)

    def refresh(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _objects(self) -> list:
        p = self.document.project
        return list(reversed(p.objects)) if p is not None else []  # top of the z-order first

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() or self.document.project is None else len(self._objects()) + 1

    def obj_id(self, row: int) -> int:
        objs = self._objects()
        return objs[row].id if 0 <= row < len(objs) else BACKGROUND

    def row_of(self, obj_id: int) -> int:
        objs = self._objects()
        return next((k for k, o in enumerate(objs) if o.id == obj_id), len(objs))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        objs = self._objects()
        row = index.row()
        if row == len(objs):
            if role == Qt.ItemDataRole.DisplayRole:
                return "Background"
            if role == Qt.ItemDataRole.DecorationRole:
                return icon("fa6s.image")
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Everything no visible object covers: give it effects (e.g. pixelate)"
            return None
        obj = objs[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            n = len(obj.prompts)
            return (
                obj.name
                if role == Qt.ItemDataRole.EditRole
                else f"{obj.name}  ({n} prompt{'s' * (n != 1)})"
            )
        if role == Qt.ItemDataRole.DecorationRole:
            pm = QPixmap(14, 14)
            pm.fill(QColor(obj.colour))
            return QIcon(pm)
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if obj.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"id {obj.id} · double-click to rename · checkbox shows/hides its effects"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.row() < len(self._objects()):
            base |= Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        obj_id = self.obj_id(index.row())
        if obj_id == BACKGROUND:
            return False
        if role == Qt.ItemDataRole.EditRole and str(value).strip():
            self.rename_requested.emit(obj_id, str(value).strip())
            return True
        if role == Qt.ItemDataRole.CheckStateRole:
            self.visible_requested.emit(obj_id, Qt.CheckState(value) == Qt.CheckState.Checked)
            return True
        return False


class ObjectsPanel(QWidget):
    """List + add/delete/colour/up/down; emits intents, keeps the active selection."""

    add_requested = Signal()
    remove_requested = Signal(int)
    colour_requested = Signal(int, str)
    move_requested = Signal(int, int)  # obj_id, +1 up / -1 down in z-order
    active_changed = Signal(int)  # obj_id or BACKGROUND

    def __init__(self, document: EditorDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = ObjectListModel(document)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(
            QListView.EditTrigger.DoubleClicked | QListView.EditTrigger.EditKeyPressed
        )
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.model.modelReset.connect(self._restore_selection)
        self._active = BACKGROUND
        buttons = QHBoxLayout()
        for name, ico, tip, slot in (
            ("add", "fa6s.plus", "Add object (N)", self.add_requested.emit),
            ("remove", "fa6s.trash", "Delete the selected object (Del)", self._remove),
            ("colour", "fa6s.palette", "Change the object's colour", self._recolour),
            (
                "up",
                "fa6s.arrow-up",
                "Move up in the z-order (drawn on top)",
                lambda: self._move(+1),
            ),
            ("down", "fa6s.arrow-down", "Move down in the z-order", lambda: self._move(-1)),
        ):
            buttons.addWidget(tool_button(f"objects_{name}", ico, tip, slot))
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.view)
        lay.addLayout(buttons)

    @property
    def active_obj_id(self) -> int:
        return self._active

    def set_active(self, obj_id: int) -> None:
        self._active = obj_id
        self._restore_selection()
        self.active_changed.emit(obj_id)

    def _restore_selection(self) -> None:
        if self.document.project is None:
            return
        ids = {o.id for o in self.document.project.objects}
        if self._active not in ids:
            self._active = BACKGROUND
        idx = self.model.index(self.model.row_of(self._active))
        self.view.selectionModel().blockSignals(True)
        self.view.setCurrentIndex(idx)
        self.view.selectionModel().blockSignals(False)

    def _on_current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self._active = self.model.obj_id(current.row())
            self.active_changed.emit(self._active)

    def _remove(self) -> None:
        if self._active != BACKGROUND:
            self.remove_requested.emit(self._active)

    def _move(self, delta: int) -> None:
        if self._active != BACKGROUND:
            self.move_requested.emit(self._active, delta)

    def _recolour(self) -> None:
        if self._active == BACKGROUND or self.document.project is None:
            return
        obj = self.document.project.object(self._active)
        c = QColorDialog.getColor(QColor(obj.colour), self, f"Colour of {obj.name}")
        if c.isValid():
            self.colour_requested.emit(self._active, c.name())
