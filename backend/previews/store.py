"""PreviewStore: the latest preview JPEG of each frame, kept on the server's disk.

Previews are small and replaced every few seconds, so they live beside the database rather than
in the account's buckets, where they would mix with the results the SDK downloads.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_PREVIEW_BYTES = 4 * 1024 * 1024
KINDS = ("progressive", "final")
UUID_PATTERN = re.compile(r"^[0-9a-fA-F-]{36}$")


class PreviewError(ValueError):
    """A preview upload that cannot be stored; the message says why."""


@dataclass(frozen=True)
class PreviewRef:
    frame: int
    kind: str
    path: Path
    size: int
    mtime_ns: int


class PreviewStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _task_dir(self, task_uuid: str) -> Path:
        if not UUID_PATTERN.match(task_uuid):
            raise PreviewError(f"{task_uuid!r} is not a task uuid")
        return self._root / task_uuid

    def save(self, task_uuid: str, frame: int, kind: str, data: bytes) -> PreviewRef:
        if kind not in KINDS:
            raise PreviewError(f"preview kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not data.startswith(b"\xff\xd8"):
            raise PreviewError("a preview must be a JPEG image")
        if len(data) > MAX_PREVIEW_BYTES:
            raise PreviewError(f"a preview may be at most {MAX_PREVIEW_BYTES} bytes; send a smaller one")
        folder = self._task_dir(task_uuid)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{frame:06d}_{kind}.jpg"
        fd, temp = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
        stat = target.stat()
        return PreviewRef(frame, kind, target, stat.st_size, stat.st_mtime_ns)

    def get(self, task_uuid: str, frame: int, kind: str | None = None) -> PreviewRef | None:
        """The requested kind, or the best available: the final thumbnail, else the progressive one."""
        folder = self._task_dir(task_uuid)
        for candidate in [kind] if kind else ["final", "progressive"]:
            path = folder / f"{frame:06d}_{candidate}.jpg"
            if path.exists():
                stat = path.stat()
                return PreviewRef(frame, str(candidate), path, stat.st_size, stat.st_mtime_ns)
        return None

    def latest(self, task_uuid: str) -> list[PreviewRef]:
        """The best preview of every frame that has one, by frame number."""
        folder = self._task_dir(task_uuid)
        if not folder.exists():
            return []
        frames = sorted({int(p.name.split("_", 1)[0]) for p in folder.glob("*.jpg")})
        refs = [self.get(task_uuid, frame) for frame in frames]
        return [r for r in refs if r is not None]

    def delete_task(self, task_uuid: str) -> None:
        shutil.rmtree(self._task_dir(task_uuid), ignore_errors=True)
