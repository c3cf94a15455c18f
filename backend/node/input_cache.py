"""InputCache: scene files kept by content (ETag), so a node downloads each file once per scene."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

DEFAULT_CACHE_LIMIT_BYTES = 20 * 1024**3
ETAG_PATTERN = re.compile(r"^[0-9a-f]{32}(-\d+)?$")

Fetch = Callable[[Path], None]


class InputCache:
    def __init__(self, root: Path, limit_bytes: int = DEFAULT_CACHE_LIMIT_BYTES) -> None:
        self._root = root
        self._limit = limit_bytes
        root.mkdir(parents=True, exist_ok=True)
        self.downloads = 0

    def _path(self, etag: str) -> Path:
        if not ETAG_PATTERN.match(etag):
            raise ValueError(f"unexpected ETag {etag!r}")
        return self._root / etag[:2] / etag

    def materialize(self, etag: str, size: int, dest: Path, fetch: Fetch) -> bool:
        """Puts the content at `dest` (a hard link into the cache); returns True if it had to download."""
        cached = self._path(etag)
        downloaded = False
        if not (cached.exists() and cached.stat().st_size == size):
            cached.parent.mkdir(parents=True, exist_ok=True)
            fetch(cached)
            if cached.stat().st_size != size:
                cached.unlink(missing_ok=True)
                raise OSError(f"downloaded {dest.name} has the wrong size; the server may be changing it")
            self.downloads += 1
            downloaded = True
            self._evict(keep=cached)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        try:
            os.link(cached, dest)
        except OSError:
            shutil.copyfile(cached, dest)  # another filesystem: a copy is as good
        os.utime(cached)  # recently used files survive eviction
        return downloaded

    def _evict(self, keep: Path) -> None:
        files = [p for p in self._root.glob("*/*") if p.is_file() and not p.name.endswith(".part")]
        total = sum(p.stat().st_size for p in files)
        for path in sorted(files, key=lambda p: p.stat().st_mtime):
            if total <= self._limit:
                return
            if path != keep:
                total -= path.stat().st_size
                path.unlink(missing_ok=True)
