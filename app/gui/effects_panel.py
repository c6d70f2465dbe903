"""Effect stack editor for the active object or the background.

Parameters are built from ``effects.EFFECT_TYPES`` (type's own params + edge params); every
change emits ``stack_edited(target, effects, merge_key)`` and the window pushes one undoable
``SetEffects`` (rapid changes of one parameter merge into one undo step). The viewer's effects
preview re-renders on the resulting project event: that is the live preview.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.document import EditorDocument
from app.gui.emoji_picker import pick_emoji
from app.gui.objects_panel import BACKGROUND
from app.gui.theme import tool_button

__all__ = ["EffectsPanel"]


class EffectsPanel(QWidget):
    stack_edited = Signal(int, object, object)  # target obj_id/BACKGROUND, list[dict], merge key

    def __init__(self, document: EditorDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.target = BACKGROUND
        self.title = QLabel("Background effects")
        self.list = QListWidget()
        self.list.setObjectName("effects_list")
        self.list.currentRowChanged.connect(self._build_form)
        self.type_box = QComboBox()
        self.type_box.setObjectName("effect_type")
        self.type_box.setToolTip("Effect to add")
        add = tool_button("effect_add", "fa6s.plus", "Add this effect to the stack", self._add)
        row = QHBoxLayout()
        row.addWidget(self.type_box, 1)
        row.addWidget(add)
        for name, ico, tip, slot in (
            ("remove", "fa6s.minus", "Remove the selected effect", self._remove),
            ("up", "fa6s.arrow-up", "Apply earlier", lambda: self._move(-1)),
            ("down", "fa6s.arrow-down", "Apply later", lambda: self._move(+1)),
        ):
            row.addWidget(tool_button(f"effect_{name}", ico, tip, slot))
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        scroll = QScrollArea()
        scroll.setWidget(self.form_host)
        scroll.setWidgetResizable(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.title)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        lay.addWidget(scroll, 2)
        self._own_edit = False
        document.object_removed.connect(self._on_object_removed)
        document.object_changed.connect(self._on_object_changed)
        document.effects_changed.connect(self._on_effects_changed)
        document.opened.connect(lambda: self.set_target(BACKGROUND))
        self._fill_types()

    # -- data --------------------------------------------------------------------------------
    def _stack(self) -> list[dict[str, Any]]:
        p = self.document.project
        if p is None:
            return []
        try:
            return p.effects_of(None if self.target == BACKGROUND else self.target)
        except KeyError:
            return []

    def set_target(self, obj_id: int) -> None:
        self.target = obj_id
        p = self.document.project
        if obj_id == BACKGROUND or p is None:
            self.title.setText("Background effects")
        else:
            try:
                self.title.setText(f"Effects of {p.object(obj_id).name}")
            except KeyError:
                self.target = BACKGROUND
                self.title.setText("Background effects")
        self._fill_types()
        self._refresh_list(keep_row=0)

    def _fill_types(self) -> None:
        from effects import EFFECT_TYPES

        self.type_box.clear()
        for t in EFFECT_TYPES.values():
            if t.on_background if self.target == BACKGROUND else t.on_objects:
                self.type_box.addItem(effect_label(t.name), t.name)
                self.type_box.setItemData(
                    self.type_box.count() - 1, t.doc, Qt.ItemDataRole.ToolTipRole
                )

    def _refresh_list(self, keep_row: int | None = None) -> None:
        row = self.list.currentRow() if keep_row is None else keep_row
        self.list.blockSignals(True)
        self.list.clear()
        for e in self._stack():
            self.list.addItem(_describe(e))
        self.list.blockSignals(False)
        if self.list.count():
            self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
        self._build_form(self.list.currentRow())

    def _on_object_removed(self, _obj_id: int) -> None:
        if self.target != BACKGROUND:
            self.set_target(self.target)  # falls back to the background if it was this one

    def _on_object_changed(self, _obj_id: int, _field: str) -> None:
        if self.target != BACKGROUND:
            self.set_target(self.target)  # the title names the object

    def _on_effects_changed(self, obj_id: int | None) -> None:
        if (BACKGROUND if obj_id is None else obj_id) != self.target:
            return
        if self._own_edit:  # keep the editor (a spin box being dragged) alive
            row = self.list.currentRow()
            stack = self._stack()
            item = self.list.item(row)
            if 0 <= row < len(stack) and item is not None:
                item.setText(_describe(stack[row]))
        else:
            self._refresh_list()

    # -- edits -------------------------------------------------------------------------------
    def _emit(self, effects: list[dict[str, Any]], merge_key: object | None = None) -> None:
        self._own_edit = merge_key is not None
        try:
            self.stack_edited.emit(self.target, effects, merge_key)
        finally:
            self._own_edit = False

    def add_effect(self, effect: dict[str, Any]) -> None:
        self._emit(self._stack() + [dict(effect)])
        self.list.setCurrentRow(self.list.count() - 1)

    def _add(self) -> None:
        name = self.type_box.currentData()
        if name:
            self.add_effect({"type": name})

    def _remove(self) -> None:
        row, stack = self.list.currentRow(), copy.deepcopy(self._stack())
        if 0 <= row < len(stack):
            del stack[row]
            self._emit(stack)

    def _move(self, delta: int) -> None:
        row, stack = self.list.currentRow(), copy.deepcopy(self._stack())
        new = row + delta
        if 0 <= row < len(stack) and 0 <= new < len(stack):
            stack[row], stack[new] = stack[new], stack[row]
            self._emit(stack)
            self.list.setCurrentRow(new)

    def _set_param(self, row: int, name: str, value: Any) -> None:
        stack = copy.deepcopy(self._stack())
        if not 0 <= row < len(stack) or stack[row].get(name) == value:
            return
        stack[row][name] = value
        self._emit(stack, merge_key=(self.target, row, name))

    # -- parameter form ----------------------------------------------------------------------
    def _build_form(self, row: int) -> None:
        from effects import EDGE_PARAMS, EFFECT_TYPES

        while self.form.rowCount():
            self.form.removeRow(0)
        stack = self._stack()
        if not 0 <= row < len(stack):
            return
        effect = stack[row]
        etype = EFFECT_TYPES.get(str(effect.get("type")))
        if etype is None:
            self.form.addRow(QLabel(f"unknown effect type {effect.get('type')!r}"))
            return
        doc = QLabel(etype.doc)
        doc.setWordWrap(True)
        self.form.addRow(doc)
        for spec in etype.params + EDGE_PARAMS:
            editor = self._editor(row, spec, effect.get(spec.name, spec.default))
            editor.setToolTip(f"{spec.doc} ({spec.range_text()})")
            editor.setObjectName(f"param_{spec.name}")
            self.form.addRow(effect_label(spec.name), editor)

    def _editor(self, row: int, spec: Any, value: Any) -> QWidget:
        if spec.kind == "int":
            ints = QSpinBox()
            ints.setRange(
                int(spec.lo if spec.lo is not None else -(10**6)),
                int(spec.hi if spec.hi is not None else 10**6),
            )
            ints.setValue(int(value))
            ints.valueChanged.connect(lambda v, n=spec.name: self._set_param(row, n, int(v)))
            return ints
        if spec.kind == "float":
            floats = QDoubleSpinBox()
            floats.setDecimals(2)
            floats.setSingleStep(0.05 if (spec.hi or 0) <= 1 else 0.5)
            floats.setRange(
                float(spec.lo if spec.lo is not None else -1e6),
                float(spec.hi if spec.hi is not None else 1e6),
            )
            floats.setValue(float(value))
            floats.valueChanged.connect(lambda v, n=spec.name: self._set_param(row, n, float(v)))
            return floats
        if spec.kind == "choice":
            choices = QComboBox()
            choices.addItems(list(spec.choices))
            choices.setCurrentText(str(value))
            choices.currentTextChanged.connect(lambda v, n=spec.name: self._set_param(row, n, v))
            return choices
        if spec.kind == "colour":
            b = QPushButton(str(value))
            text = "#000" if QColor(str(value)).lightness() > 128 else "#fff"
            b.setStyleSheet(f"background: {value}; color: {text}")

            def choose(_: bool = False, n: str = spec.name, cur: str = str(value)) -> None:
                c = QColorDialog.getColor(QColor(cur), self, n)
                if c.isValid():
                    self._set_param(row, n, c.name())
                    self._build_form(row)

            b.clicked.connect(choose)
            return b
        b = QPushButton(str(value) or "(none)")  # emoji / path
        if spec.kind == "emoji":
            from effects.emoji import list_emoji, resolve_emoji

            path = resolve_emoji(str(value))
            names = {e.char: e.name for e in list_emoji()}
            b.setText(
                names.get(
                    str(value), names.get(str(value).replace("\ufe0f", ""), Path(str(value)).name)
                )
            )
            if path is not None:
                b.setIcon(QIcon(str(path)))

        def pick(_: bool = False, n: str = spec.name, kind: str = spec.kind) -> None:
            chosen: str | None
            if kind == "path":
                chosen = QFileDialog.getOpenFileName(
                    self, n, "", "Images (*.png *.jpg *.jpeg *.webp)"
                )[0]
            else:
                chosen = pick_emoji(self)
            if chosen:
                self._set_param(row, n, chosen)
                self._build_form(row)

        b.clicked.connect(pick)
        return b


def _describe(effect: dict[str, Any]) -> str:
    """One list line: type and the parameters set (emoji by name: fonts may lack the glyph)."""
    parts = []
    for k, v in effect.items():
        if k == "type":
            continue
        if k == "emoji":
            from effects.emoji import list_emoji

            names = {e.char: e.name for e in list_emoji()}
            v = names.get(str(v), names.get(str(v).replace("\ufe0f", ""), v))
        parts.append(f"{effect_label(k).lower()} {v}")
    return f"{effect_label(str(effect.get('type')))}  {', '.join(parts)}".strip()


def effect_label(name: str) -> str:
    """``colour_pop`` → "Colour pop": what a person reads (the project keeps the type names)."""
    return name.replace("_", " ").strip().capitalize()
