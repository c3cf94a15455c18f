"""Content hashes match S3 ETags, and an unchanged tree is never hashed twice."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from render_client.hash_cache import (
    DEFAULT_PART_SIZE_B,
    RACY_WINDOW_NS,
    HashCache,
    default_cache_path,
    hash_file,
)

TREE_FILES = 2000
RESYNC_BUDGET_S = 5.0  # generous: it takes ~0.1 s here; the point is that nothing is read


def age(path: Path, seconds: float = 60.0) -> None:
    """Set the mtime in the past, as for files the artist saved a while ago."""
    past_ns = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(past_ns, past_ns))


def test_single_part_etag_is_the_md5(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"hello farm")
    md5, etag = hash_file(path)
    assert md5 == etag == hashlib.md5(b"hello farm").hexdigest()


def test_multipart_etag_matches_the_s3_rule(tmp_path: Path) -> None:
    data = os.urandom(2500)
    path = tmp_path / "b.bin"
    path.write_bytes(data)
    parts = [data[i : i + 1024] for i in range(0, len(data), 1024)]
    expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert hash_file(path, part_size_b=1024) == (hashlib.md5(data).hexdigest(), expected)
    # Exactly one part: boto3 still uploads multipart at the threshold.
    exact = tmp_path / "c.bin"
    exact.write_bytes(data[:1024])
    one_part = hashlib.md5(hashlib.md5(data[:1024]).digest()).hexdigest() + "-1"
    assert hash_file(exact, part_size_b=1024)[1] == one_part
    assert DEFAULT_PART_SIZE_B == 8 * 1024 * 1024


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert hash_file(path) == (hashlib.md5(b"").hexdigest(), hashlib.md5(b"").hexdigest())


def test_resync_of_an_unchanged_tree_hashes_nothing(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    paths = []
    for i in range(TREE_FILES):
        path = tree / f"d{i % 20:02d}" / f"f{i:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"content {i}".encode())
        age(path)
        paths.append(path)
    db = tmp_path / "cache.sqlite3"
    with HashCache(db) as cache:
        first = cache.hash_many(paths)
        assert cache.hashed_count == TREE_FILES
    assert first[paths[7]].md5 == hashlib.md5(b"content 7").hexdigest()

    # A new process (new object, same database file) finds everything in the cache.
    started = time.monotonic()
    with HashCache(db) as cache:
        again = cache.hash_many(paths)
        assert cache.hashed_count == 0
        assert cache.cached_count == TREE_FILES
    assert time.monotonic() - started < RESYNC_BUDGET_S
    assert again == first

    # Only changed files are read again: a new size, or the same size with a new mtime.
    paths[3].write_bytes(b"changed, longer content")
    age(paths[3], 30)
    paths[4].write_bytes(b"content X")
    age(paths[4], 30)
    with HashCache(db) as cache:
        third = cache.hash_many(paths)
        assert cache.hashed_count == 2
    assert third[paths[4]].md5 == hashlib.md5(b"content X").hexdigest()


def test_a_file_saved_just_now_is_not_trusted_to_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "fresh.blend"
    path.write_bytes(b"just saved")
    assert time.time_ns() - path.stat().st_mtime_ns < RACY_WINDOW_NS
    with HashCache(tmp_path / "c.sqlite3") as cache:
        cache.hash(path)
        cache.hash(path)
        assert cache.hashed_count == 2
        age(path)
        cache.hash(path)
        cache.hash(path)
        assert cache.hashed_count == 3


def test_part_size_is_part_of_the_key(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(os.urandom(3000))
    age(path)
    db = tmp_path / "c.sqlite3"
    with HashCache(db, part_size_b=1024) as small:
        assert small.hash(path).etag.endswith("-3")
    with HashCache(db) as default:
        assert "-" not in default.hash(path).etag
        assert default.hashed_count == 1


def test_forget_and_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "hearth" / "hash-cache.sqlite3"
    path = tmp_path / "y.bin"
    path.write_bytes(b"y")
    age(path)
    with HashCache() as cache:
        assert cache.db_path.exists()
        cache.hash(path)
        cache.forget(path)
        cache.hash(path)
        assert cache.hashed_count == 2
