"""FileReader: one version of a local object, read across its content files (one, or its parts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from backend.storage.engine import READ_BLOCK_BYTES, ObjectInfo

# Readers open every segment up front (so a concurrent overwrite cannot pull one away) up to this many.
MAX_EAGER_SEGMENTS = 256


class FileReader:
    """Open content files: they stay readable even if the object is replaced meanwhile."""

    def __init__(self, info: ObjectInfo, paths: list[tuple[Path, int]]) -> None:
        self.info = info
        self._paths = paths
        self._handles: dict[int, BinaryIO] = {}
        if len(paths) <= MAX_EAGER_SEGMENTS:
            try:
                for index in range(len(paths)):
                    self._open(index)
            except BaseException:
                self.close()
                raise

    def _open(self, index: int) -> BinaryIO:
        handle = self._handles.get(index)
        if handle is None:
            handle = self._handles[index] = open(self._paths[index][0], "rb")  # noqa: SIM115 (closed in close())
        return handle

    @property
    def single_handle(self) -> BinaryIO | None:
        return self._open(0) if len(self._paths) == 1 else None

    def read(self, start: int, end: int) -> Iterator[bytes]:
        offset = 0
        for index, (_, size) in enumerate(self._paths):
            if start > end:
                return
            if start < offset + size:
                handle = self._open(index)
                handle.seek(start - offset)
                remaining = min(end, offset + size - 1) - start + 1
                while remaining > 0:
                    block = handle.read(min(READ_BLOCK_BYTES, remaining))
                    if not block:
                        return
                    remaining -= len(block)
                    start += len(block)
                    yield block
            offset += size

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
