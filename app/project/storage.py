"""Reading and writing ``*.rotokit`` files: JSON only (loading never runs code), atomic saves.

A save writes a temporary file in the same folder, fsyncs it and renames it over the old file
(`os.replace` is atomic on POSIX and Windows), so a crash or kill mid-save leaves either the old
project or the new one, never a mix. Output is deterministic (fixed key order, same formatting),
so load → save → load → save is byte-identical and diffs in version control stay small.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ProjectError
from app.project.document import Project, Prompt, project_from_dict, project_to_dict
from app.project.fingerprint import VideoFingerprint, fingerprint_video

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "load_project",
    "save_project",
    "autosave_path",
    "dumps_project",
    "check_video",
    "check_prompts",
    "atomic_write_bytes",
    "load_prompt_mask",
]

_INDENT = "  "


_INLINE_WIDTH = 88


def _is_inline(value: Any) -> bool:
    """Scalar lists (points, boxes) and short flat objects (a prompt, an effect) fit on one line."""
    if isinstance(value, list):
        return all(
            not isinstance(v, (dict, list)) or (isinstance(v, list) and _is_inline(v))
            for v in value
        )
    if isinstance(value, dict):
        return (
            all(not isinstance(v, dict) and _is_inline(v) for v in value.values())
            and len(json.dumps(value, ensure_ascii=False, separators=(", ", ": "))) <= _INLINE_WIDTH
        )
    return True


def _emit(value: Any, level: int, out: list[str]) -> None:
    if _is_inline(value):
        out.append(json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False))
        return
    pad, inner = _INDENT * level, _INDENT * (level + 1)
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for i, (key, item) in enumerate(value.items()):
            out.append(f"{inner}{json.dumps(str(key), ensure_ascii=False)}: ")
            _emit(item, level + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "}")
    else:
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(inner)
            _emit(item, level + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "]")


def dumps_project(project: Project, path: Path | None = None) -> str:
    """The file's text: indented JSON with number lists kept on one line, trailing newline."""
    out: list[str] = []
    _emit(project_to_dict(project, path), 0, out)
    return "".join(out) + "\n"


def _file_mode(path: Path) -> int:
    """The existing file's mode, or what the user's umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a partial one."""
    path = Path(path)
    from app.tempfiles import sweep_stale, temp_file

    sweep_stale(path.parent)
    tmp_name = str(temp_file(path, ".tmp"))
    fd = os.open(tmp_name, os.O_WRONLY)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; keep the mode a plain open() gives
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Save atomically to `path` (default: ``project.path``); returns the path written.

    Saving elsewhere (autosave, backup) leaves ``project.path`` and ``project.dirty`` alone and
    writes the video path so that it resolves from the new location. For "save as", call
    ``project.set_path(new)`` first, then ``save_project(project)``.
    """
    if path is None and project.path is None:
        raise ProjectError(
            "the project has not been saved yet: give a file name ending in .rotokit"
        )
    target = Path(path if path is not None else project.path).expanduser().absolute()  # type: ignore[arg-type]
    text = dumps_project(project, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, text.encode("utf-8"))
    except OSError as exc:
        raise ProjectError(f"{target}: cannot save the project ({exc.strerror or exc})") from exc
    if project.path is not None and target == project.path.absolute():
        project.set_dirty(False)
    return target


def autosave_path(project: Project) -> Path:
    """Where to autosave `project`: ``$ROTOKIT_CACHE/autosave/``, by default in the user cache
    folder (platformdirs: ``$XDG_CACHE_HOME/rotokit`` or ``~/.cache/rotokit`` on Linux).

    One file per project (or per video for a never-saved project), named so a person can
    recognise it: ``<stem>-<10 hex of the absolute path>.rotokit``.
    """
    import hashlib

    import platformdirs

    base = os.environ.get("ROTOKIT_CACHE") or platformdirs.user_cache_dir(
        "rotokit", appauthor=False
    )
    key = project.path if project.path is not None else project.video_path
    digest = hashlib.sha1(str(Path(key).absolute()).encode("utf-8")).hexdigest()[:10]
    return Path(base) / "autosave" / f"{Path(key).stem}-{digest}.rotokit"


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and validate a project file; `ProjectError` names the file, field and problem."""
    path = Path(path).expanduser().absolute()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{path}: project file not found") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a .rotokit project file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read the project ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ProjectError(f"{path}: the project file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{path}: not a rotokit project (not UTF-8 text at byte {exc.start})"
        ) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        hint = (
            "the file is truncated"
            if exc.pos >= len(text.rstrip())
            else "the file is damaged or not a project"
        )
        raise ProjectError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); {hint}"
        ) from None
    except ValueError as exc:
        raise ProjectError(f"{path}: invalid JSON ({exc})") from None
    return project_from_dict(data, path, source=str(path))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a project file")


def check_video(project: Project) -> VideoFingerprint:
    """Check that the project's video is present and is the one it was made on.

    A project without a recorded fingerprint (hand-written) gets one now (saved with the next
    save). Raises `ProjectError` naming the video path and what differs.
    """
    video = project.video_path
    if not video.is_file():
        from app.paths import describe_special

        where = f" (project {project.path})" if project.path else ""
        kind = describe_special(video)
        what = "video not found" if kind in (None, "missing") else f"is {kind}, not a video file"
        raise ProjectError(
            f'{video}: {what}{where}; move it back or edit "video" in the project file'
        )
    current = fingerprint_video(video)
    if project.fingerprint is None:
        check_prompts(project, current)
        project.fingerprint = current
        return current
    diffs = project.fingerprint.differences(current)
    if diffs:
        retrack = f"`rotokit track {project.path} --retrack`" if project.path else "tracking again"
        raise ProjectError(
            f"{video}: not the video this project was made on ({', '.join(diffs)}); "
            f"masks and prompts would not line up (if this video is meant, check the prompts and "
            f"re-track with {retrack})"
        )
    check_prompts(project, current)
    return current


def check_prompts(project: Project, video: VideoFingerprint) -> None:
    """Prompts must lie on the video: frame in range, points inside, boxes overlapping the frame."""
    where_file = f"{project.path}: " if project.path else ""
    w, h, n = video.width, video.height, video.frame_count
    if project.frame_range is not None:
        from app.frame_range import FrameRange

        FrameRange.coerce(project.frame_range).resolve(
            n, source=f"{where_file}range", clip=str(project.video_path)
        )
    for i, obj in enumerate(project.objects):
        for j, prompt in enumerate(obj.prompts):
            where = f"{where_file}objects[{i}].prompts[{j}]"
            if prompt.frame >= n:
                raise ProjectError(
                    f"{where}.frame: {prompt.frame} is past the last frame ({n - 1})"
                )
            for k, (x, y) in enumerate(prompt.points or []):
                if not (0 <= x <= w and 0 <= y <= h):
                    raise ProjectError(
                        f"{where}.points[{k}]: [{x}, {y}] is outside the {w}x{h} frame"
                    )
            if prompt.box is not None:
                x0, y0, x1, y1 = prompt.box
                if x1 <= 0 or y1 <= 0 or x0 >= w or y0 >= h:
                    raise ProjectError(
                        f"{where}.box: {prompt.box} does not overlap the {w}x{h} frame"
                    )


def load_prompt_mask(project: Project, prompt: Prompt) -> np.ndarray:
    """The H×W bool mask of a prompt's ``mask_ref`` PNG (relative to the project file; non-zero = object)."""
    import cv2
    import numpy as np

    if prompt.mask_ref is None:
        raise ProjectError(f"prompt on frame {prompt.frame} has no mask_ref")
    ref = Path(prompt.mask_ref).expanduser()
    if not ref.is_absolute():
        base = project.path.parent if project.path is not None else Path.cwd()
        ref = base / ref
    if not ref.is_file():
        raise ProjectError(
            f"{ref}: prompt mask not found (mask_ref of the prompt on frame {prompt.frame})"
        )
    image = cv2.imread(str(ref), cv2.IMREAD_UNCHANGED)  # palette PNGs load as their indices
    if image is None:
        raise ProjectError(f"{ref}: not a readable image (prompt mask on frame {prompt.frame})")
    if image.ndim == 3:
        image = image[:, :, 3] if image.shape[2] == 4 else image.max(axis=2)
    fp = project.fingerprint
    if fp is not None and image.shape != (fp.height, fp.width):
        raise ProjectError(
            f"{ref}: prompt mask is {image.shape[1]}x{image.shape[0]}, the video is {fp.width}x{fp.height}"
        )
    return np.asarray(image > 0)
