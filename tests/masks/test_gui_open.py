"""The editor refuses to open a project whose masks were computed on another video (item 2)."""

from __future__ import annotations

import pytest
from masks_helpers import cut_clip, write_project

from app.errors import ProjectError
from app.project import MaskStore, fingerprint_video, masks_path_for


def test_editor_records_the_video_and_refuses_a_replaced_one(qapp, tmp_path, short_clip) -> None:
    from app.gui.document import EditorDocument

    project = write_project(tmp_path / "p", short_clip, [])
    document = EditorDocument()
    document.open_project(project)  # the store its tracking worker writes to is bound to the video
    document.close()
    with MaskStore(masks_path_for(project), readonly=True) as store:
        assert store.video_fingerprint() == fingerprint_video(project.parent / "clip.mp4")

    cut_clip(project.parent / "clip.mp4", size=(322, 182))
    with pytest.raises(ProjectError, match=r"size 320x180 → 322x182.*--retrack"):
        document.open_project(project)
    assert not document.is_open
