"""Content hashes (MD5 and S3 ETags) with a persistent cache keyed by path, size and mtime."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

DEFAULT_PART_SIZE_B = 8 * 1024 * 1024  # boto3's multipart_chunksize and multipart_threshold
READ_CHUNK_B = 1024 * 1024
# A file modified this recently may change again within the same mtime tick: hash it, do not cache it.
RACY_WINDOW_NS = 2_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_hash (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    etag TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class FileHash:
    """The content hashes of one file, as they were when it had this size and mtime."""

    size_b: int
    mtime_ns: int
    md5: str  # hex MD5 of the whole file: the ETag of a single-part upload
    etag: str  # the S3 ETag this file gets when uploaded with `part_size_b` (quoted form not included)
    part_size_b: int


def default_cache_path() -> Path:
    """`$XDG_CACHE_HOME/hearth/hash-cache.sqlite3` (default `~/.cache/hearth/...`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hearth" / "hash-cache.sqlite3"


def hash_file(path: Path, part_size_b: int = DEFAULT_PART_SIZE_B) -> tuple[str, str]:
    """(md5 hex, S3 ETag) of `path`; multipart ETag `md5(concat(part md5s))-N` when size >= part size."""
    whole = hashlib.md5(usedforsecurity=False)
    part = hashlib.md5(usedforsecurity=False)
    parts: list[bytes] = []
    in_part_b = 0
    total_b = 0
    with path.open("rb") as stream:
        while chunk := stream.read(min(READ_CHUNK_B, part_size_b - in_part_b)):
            whole.update(chunk)
            part.update(chunk)
            in_part_b += len(chunk)
            total_b += len(chunk)
            if in_part_b == part_size_b:
                parts.append(part.digest())
                part = hashlib.md5(usedforsecurity=False)
                in_part_b = 0
    if in_part_b:
        parts.append(part.digest())
    if total_b < part_size_b:
        return whole.hexdigest(), whole.hexdigest()
    combined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
    return whole.hexdigest(), f"{combined}-{len(parts)}"


class HashCache:
    """Hashes files, remembering results in SQLite so an unchanged tree is never read twice."""

    def __init__(self, db_path: Path | None = None, part_size_b: int = DEFAULT_PART_SIZE_B) -> None:
        self.db_path = db_path if db_path is not None else default_cache_path()
        self.part_size_b = part_size_b
        self.hashed_count = 0  # files actually read since this object was made
        self.cached_count = 0  # files answered from the cache
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.db_path), check_same_thread=False)
        self._db.execute(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HashCache:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def hash(self, path: Path) -> FileHash:
        """The hashes of one file, from the cache when its size and mtime have not changed."""
        return self.hash_many([path])[path]

    def hash_many(self, paths: Iterable[Path]) -> dict[Path, FileHash]:
        """Hashes of many files; cache writes happen in one transaction."""
        results: dict[Path, FileHash] = {}
        fresh: list[tuple[str, FileHash]] = []
        for path in paths:
            key = str(path.absolute())
            stat = path.stat()
            cached = self._lookup(key, stat.st_size, stat.st_mtime_ns)
            if cached is not None:
                self.cached_count += 1
                results[path] = cached
                continue
            md5, etag = hash_file(path, self.part_size_b)
            self.hashed_count += 1
            result = FileHash(stat.st_size, stat.st_mtime_ns, md5, etag, self.part_size_b)
            results[path] = result
            after = path.stat()
            unchanged = (after.st_size, after.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
            if unchanged and time.time_ns() - stat.st_mtime_ns > RACY_WINDOW_NS:
                fresh.append((key, result))
        if fresh:
            self._store(fresh)
        return results

    def forget(self, path: Path) -> None:
        """Drop one file from the cache."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM file_hash WHERE path = ?", (str(path.absolute()),))

    def _lookup(self, key: str, size_b: int, mtime_ns: int) -> FileHash | None:
        with self._lock:
            row = self._db.execute(
                "SELECT md5, etag FROM file_hash "
                "WHERE path = ? AND size = ? AND mtime_ns = ? AND part_size = ?",
                (key, size_b, mtime_ns, self.part_size_b),
            ).fetchone()
        if row is None:
            return None
        return FileHash(size_b, mtime_ns, str(row[0]), str(row[1]), self.part_size_b)

    def _store(self, rows: list[tuple[str, FileHash]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO file_hash (path, size, mtime_ns, part_size, md5, etag) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(key, h.size_b, h.mtime_ns, h.part_size_b, h.md5, h.etag) for key, h in rows],
            )
