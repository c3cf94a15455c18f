"""BlobStore makes both the blob's bytes and its directory entry durable before a write returns."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from backend.storage.blobs import BlobStore


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool, set[str]]]:
    """Each fsync as (path, is a directory, names in it at that moment when it is one)."""
    calls: list[tuple[str, bool, set[str]]] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        calls.append((path, is_dir, set(os.listdir(path)) if is_dir else set()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return calls


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name file descriptors")
def test_durable_writes_fsync_the_blob_directory_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path)
    calls = _record_fsyncs(monkeypatch)
    name, _, _ = store.write([b"frame ", b"data"])
    source = tmp_path / "source.bin"
    source.write_bytes(b"frame data")
    with open(source, "rb") as handle:
        copied = store.copy_from(handle)
    for blob in (name, copied):
        final = store.path(blob)
        assert final.read_bytes() == b"frame data"
        directory_syncs = [c for c in calls if c[1] and Path(c[0]) == final.parent]
        assert directory_syncs, calls
        # The directory is synced after the rename: the entry is already there.
        assert blob in directory_syncs[-1][2]


def test_non_durable_writes_skip_every_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = BlobStore(tmp_path)
    calls = _record_fsyncs(monkeypatch)
    name, size, _ = store.write([b"scratch"], durable=False)
    assert size == 7 and store.path(name).is_file()
    assert calls == []
