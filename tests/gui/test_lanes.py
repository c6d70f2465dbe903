"""Timeline lanes tell tracked / empty / not tracked / low score apart (issue 13 #6); effect
names read as words."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.qt


def test_lane_states_are_distinct_and_explained(qtbot, make_window, clip, errors):
    from app.gui.timeline_widget import (
        EMPTY,
        LANE_H,
        LEGEND,
        LOW_SCORE_STATE,
        NOT_TRACKED,
        RULER_H,
        TRACKED,
    )

    w = make_window()
    assert w.open_path(str(clip))
    ed = w.editor
    w.objects.add_requested.emit()
    oid = ed.active
    store = ed.document.store
    h, wd = ed.document.source.info.height, ed.document.source.info.width
    full = np.zeros((h, wd), bool)
    full[100:300, 200:500] = True
    # what a tracker leaves in the store: masks with scores, some empty (object out of view)
    for f in range(0, 10):
        store.put_many(f, {oid: (full, 0.9)})
    for f in range(10, 15):
        store.put_many(f, {oid: (np.zeros((h, wd), bool), 0.8)})
    for f in range(15, 20):
        store.put_many(f, {oid: (full, 0.2)})
    ed.document.notify_masks(-1, [oid])
    lane = w.timeline.lane(oid)
    assert [int(lane.state[f]) for f in (5, 12, 17, 30)] == [
        TRACKED,
        EMPTY,
        LOW_SCORE_STATE,
        NOT_TRACKED,
    ]
    assert lane.has_mask[5] and not lane.has_mask[12] and not lane.has_mask[30]
    # drawn differently: the tracked span is filled, empty and untracked frames are not
    y = RULER_H + LANE_H // 2
    img = w.timeline.grab().toImage()
    px = {f: img.pixelColor(int(w.timeline.x_of(f + 0.5)), y).getRgb()[:3] for f in (5, 12, 17, 30)}
    assert px[5] != px[12] and px[12] == px[30] and px[17] not in (px[5], px[30])
    # each state is explained where the user points, and the legend is on screen
    text = lambda f: w.timeline.lane_text_at(w.timeline.x_of(f + 0.5), y)  # noqa: E731
    assert "empty" in text(12) and "not visible" in text(12)
    assert "low score" in text(17) and "0.20" in text(17)
    assert "not tracked" in text(30) and "tracked (score 0.90)" in text(5)
    assert w.timeline.lane_text_at(200, 5) == LEGEND
    # hovering shows that text as a tooltip (a real ToolTip event, as Qt sends it)
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    at = QPoint(int(w.timeline.x_of(17.5)), y)
    assert w.timeline.event(QHelpEvent(QEvent.Type.ToolTip, at, w.timeline.mapToGlobal(at)))
    assert "low score" in QToolTip.text()
    assert (
        w.legend.isVisible() and "empty mask" in w.legend.text() and "low score" in w.legend.text()
    )
    # one frame's new mask updates the lane in place
    store.put_many(30, {oid: (full, 0.95)})
    ed.document.notify_masks(30, [oid])
    assert int(w.timeline.lane(oid).state[30]) == TRACKED
    assert not errors, errors


def test_effect_names_are_human_readable(qtbot, make_window, clip, errors):
    w = make_window()
    assert w.open_path(str(clip))
    w.objects.add_requested.emit()
    names = [w.effects.type_box.itemText(i) for i in range(w.effects.type_box.count())]
    assert "Colour pop" in names and "Face blur" in names
    assert not any("_" in n for n in names)
    w.effects.add_effect({"type": "colour_pop"})
    assert w.effects.list.item(0).text().startswith("Colour pop")
    assert w.editor.document.project.object(w.editor.active).effects == [
        {"type": "colour_pop"}
    ]  # the file keeps the id
    assert not errors, errors
