"""BlobStore: content files of the local engine, written atomically under internal names."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from backend.storage.engine import BadDigest

COPY_BLOCK_BYTES = 64 * 1024 * 1024


class BlobStore:
    """Files named by random ids, never by user keys, so no key can reach outside the data dir.

    A blob is written to tmp/, fsynced, then renamed into blobs/ab/abcdef...: a crash leaves at
    worst an unreferenced file (swept at start), never a partial blob under a referenced name.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        self.tmp.mkdir(parents=True, exist_ok=True)
        for i in range(256):
            (self.blobs / f"{i:02x}").mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        if len(name) != 32 or not all(c in "0123456789abcdef" for c in name):
            raise ValueError(f"not a blob name: {name!r}")
        return self.blobs / name[:2] / name

    def write(
        self, chunks: Iterable[bytes], content_md5: str | None = None, *, durable: bool = True
    ) -> tuple[str, int, str]:
        """Stores the chunks; returns (blob name, size, md5 hex). Nothing is kept if `chunks` raises.

        `durable=False` skips the fsync, for content that is only ever temporary.
        """
        name = uuid.uuid4().hex
        tmp = self.tmp / name
        md5 = hashlib.md5()
        size = 0
        try:
            with open(tmp, "wb", buffering=0) as handle:
                for chunk in chunks:
                    md5.update(chunk)
                    handle.write(chunk)
                    size += len(chunk)
                if durable:
                    os.fsync(handle.fileno())
            digest = md5.hexdigest()
            if content_md5 is not None and content_md5 != digest:
                raise BadDigest("the Content-MD5 you specified did not match what we received")
            self._publish(tmp, name, durable=durable)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return name, size, digest

    def copy_from(self, source: BinaryIO) -> str:
        """A new blob with the content of an open file (which may have been unlinked meanwhile)."""
        name, _ = self._write_with(lambda out: _copy_all(source.fileno(), out, 0))
        return name

    def _write_with(self, fill: Callable[[int], int]) -> tuple[str, int]:
        name = uuid.uuid4().hex
        tmp = self.tmp / name
        try:
            with open(tmp, "wb") as out:
                size = fill(out.fileno())
                os.fsync(out.fileno())
            self._publish(tmp, name, durable=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return name, size

    def _publish(self, tmp: Path, name: str, *, durable: bool) -> None:
        """Renames a written temp file to its blob name; durable: the rename itself survives power loss.

        fsync of the file makes its bytes durable, but the new directory entry lives in the directory:
        without fsyncing that too, a power cut after the database commit could lose a referenced blob.
        """
        final = self.path(name)
        os.replace(tmp, final)
        if durable:
            fsync_directory(final.parent)

    def remove(self, names: Iterable[str]) -> None:
        for name in names:
            self.path(name).unlink(missing_ok=True)

    def sweep(self, referenced: set[str]) -> int:
        """Deletes temp files and blobs nothing references (left by a crash); returns how many."""
        removed = 0
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        for sub in self.blobs.iterdir():
            for entry in sub.iterdir():
                if entry.name not in referenced:
                    entry.unlink(missing_ok=True)
                    removed += 1
        return removed


def fsync_directory(directory: Path) -> None:
    """Makes renames into `directory` durable (POSIX; Windows cannot open directories, and NTFS
    journals the rename with the file's metadata)."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_all(src: int, dst: int, offset: int | None = None) -> int:
    """Copies src (from `offset`, or its current position) to the end of dst; returns the byte count."""
    if offset is not None:
        os.lseek(src, offset, os.SEEK_SET)
    start = os.lseek(src, 0, os.SEEK_CUR)
    total = 0
    try:
        while True:
            copied = os.copy_file_range(src, dst, COPY_BLOCK_BYTES)
            if copied == 0:
                return total
            total += copied
    except OSError:
        # copy_file_range is missing on some filesystems; fall back to sendfile-free plain reads.
        os.lseek(src, start + total, os.SEEK_SET)
        while block := os.read(src, COPY_BLOCK_BYTES):
            view = memoryview(block)
            while view:
                view = view[os.write(dst, view) :]
            total += len(block)
        return total
