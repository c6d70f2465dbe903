"""Recent files (QSettings), autosave timing and crash-recovery lookup."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app.gui.document import PROJECT_SUFFIX

__all__ = ["RecentFiles", "recovery_for", "is_project", "VIDEO_FILTER", "AUTOSAVE_MS", "settings"]

VIDEO_FILTER = "Videos and projects (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.rotokit);;All files (*)"
AUTOSAVE_MS = 30_000
MAX_RECENT = 10


def settings() -> QSettings:
    return QSettings("rotokit", "rotokit")


def is_project(path: str | Path) -> bool:
    return Path(path).suffix.lower() == PROJECT_SUFFIX


class RecentFiles:
    """Most recent first, de-duplicated, missing files dropped."""

    KEY = "recent_files"

    def __init__(self, store: QSettings | None = None) -> None:
        self._s = store or settings()

    def paths(self) -> list[str]:
        value = self._s.value(self.KEY, [])
        if isinstance(value, str):
            items = [value]
        elif isinstance(value, list | tuple):
            items = [str(p) for p in value]
        else:  # None, or what an unset QSettings key gives
            items = []
        return [p for p in items if Path(p).exists()]

    def add(self, path: str | Path) -> None:
        p = str(Path(path).absolute())
        items = [p] + [x for x in self.paths() if x != p]
        self._s.setValue(self.KEY, items[:MAX_RECENT])


def recovery_for(path: str | Path) -> Path | None:
    """The autosave of ``path`` (video or project) worth offering: newer than the file itself and
    different from what is saved there. A stale or identical autosave is deleted."""
    from app.gui.document import remove_autosave
    from app.project import Project, autosave_path, load_project

    path = Path(path).absolute()
    try:
        project = load_project(path) if is_project(path) else Project.new(path)
    except Exception:  # noqa: BLE001 - the real open reports the problem
        return None
    if is_project(path):
        project.path = path
    auto = autosave_path(project)
    if not auto.is_file():
        return None
    if auto.stat().st_mtime <= path.stat().st_mtime:
        remove_autosave(auto)  # older than the saved file: that save came after it
        return None
    try:
        recovered = load_project(auto)
    except Exception:  # noqa: BLE001 - unreadable autosave: offer it, recovery reports why
        return auto
    if _content(recovered, auto) == _content(project, auto):
        remove_autosave(auto)  # nothing unsaved in it
        return None
    return auto


def _content(project, where: Path) -> dict:
    """What a user edits, for comparing a project with its autosave (view state left out)."""
    from app.project import project_to_dict

    data = project_to_dict(project, where)
    data.pop("editor", None)
    return data
