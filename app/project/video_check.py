"""Is the project's video there, and is it the one the project was made on?

`fingerprint_video` probes a file (`app.media`) to make a `VideoFingerprint`; `check_video`
compares it with the one recorded in the project and checks that every prompt lies on the
video. Separate from the document and its codec, which must load without the media stack.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.errors import MediaError, ProjectError
from app.frame_range import FrameRange
from app.project.document import Project
from app.project.fingerprint import VideoFingerprint, content_hash

__all__ = ["fingerprint_video", "check_video", "check_prompts"]


def fingerprint_video(path: str | os.PathLike[str]) -> VideoFingerprint:
    """Fingerprint the video at `path`; `ProjectError` naming the file if missing or unreadable.

    Size and frame count come from `app.media.probe`, so they are the displayed size and the
    exact frame count that frame indices (prompts, masks) refer to.
    """
    from app.media import probe  # here: importing app.project must not load the media stack

    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"{path}: video not found")
    try:
        info = probe(path)
    except MediaError as exc:
        raise ProjectError(str(exc)) from None
    size = path.stat().st_size
    return VideoFingerprint(
        info.width, info.height, info.frame_count, size, content_hash(path, size)
    )


def check_video(project: Project) -> VideoFingerprint:
    """Check that the project's video is present and is the one it was made on.

    A project without a recorded fingerprint (hand-written) gets one now (saved with the next
    save). Raises `ProjectError` naming the video path and what differs.
    """
    video = project.video_path
    if not video.is_file():
        from app.file_kinds import describe_special

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
    frame_range = FrameRange.coerce(project.frame_range)
    if frame_range is not None:
        frame_range.resolve(n, source=f"{where_file}range", clip=str(project.video_path))
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
