"""The one QUndoCommand adapter over the project's command API (see app.project.commands).

Each command is applied on construction (so a refused edit raises in the caller and never reaches
the stack), and undo/redo swap the command with the inverse ``project.apply`` returns. Rapid edits
of one effect parameter (a spin box being dragged) merge into one undo step.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from app.project import Command, Project, SetEffects

__all__ = ["ProjectUndoCommand", "push"]

_MERGE_ID = 0x7E5


class ProjectUndoCommand(QUndoCommand):
    """One undo step: a project command (applied now) and the inverse that undoes it.

    Steps with the same non-None `merge_key` that set effects merge into the earlier one
    (tested on a real QUndoStack in tests/project/test_project_commands.py).
    """

    def __init__(self, project: Project, command: Command, merge_key: object | None = None) -> None:
        super().__init__(command.text)
        self._project = project
        self._inverse = project.apply(command)
        self._forward = command
        self._merge_key = merge_key
        self._skip_first_redo = True  # QUndoStack.push() calls redo(); we already applied

    def id(self) -> int:  # noqa: A003 - Qt API
        return _MERGE_ID if self._merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, ProjectUndoCommand) or other._merge_key != self._merge_key:
            return False
        if not isinstance(other._forward, SetEffects):
            return False
        self._forward = other._forward  # keep our inverse: undo returns to before the drag
        return True

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._inverse = self._project.apply(self._forward)

    def undo(self) -> None:
        self._forward = self._project.apply(self._inverse)


def push(
    stack: QUndoStack, project: Project, command: Command, merge_key: object | None = None
) -> None:
    """Apply ``command`` to ``project`` and record it for Ctrl+Z."""
    stack.push(ProjectUndoCommand(project, command, merge_key))
