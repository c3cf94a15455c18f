"""InputCache: each content downloads once; later frames get hard links; corrupt sizes are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.node.input_cache import InputCache


def test_the_same_content_is_downloaded_once(tmp_path: Path) -> None:
    data = b"scene bytes" * 100
    etag = hashlib.md5(data).hexdigest()
    calls: list[Path] = []

    def fetch(target: Path) -> None:
        calls.append(target)
        target.write_bytes(data)

    cache = InputCache(tmp_path / "cache")
    first = cache.materialize(etag, len(data), tmp_path / "frame1" / "scene.blend", fetch)
    second = cache.materialize(etag, len(data), tmp_path / "frame2" / "scene.blend", fetch)

    assert (first, second) == (True, False)
    assert len(calls) == 1 and cache.downloads == 1
    assert (tmp_path / "frame2" / "scene.blend").read_bytes() == data


def test_a_download_of_the_wrong_size_is_not_kept(tmp_path: Path) -> None:
    cache = InputCache(tmp_path / "cache")

    with pytest.raises(OSError, match="wrong size"):
        cache.materialize("a" * 32, 10, tmp_path / "x", lambda target: target.write_bytes(b"short"))
    assert not list((tmp_path / "cache").glob("*/*"))


def test_old_content_is_evicted_past_the_limit(tmp_path: Path) -> None:
    cache = InputCache(tmp_path / "cache", limit_bytes=150)
    for n in range(3):
        data = bytes([n]) * 100
        cache.materialize(
            hashlib.md5(data).hexdigest(), 100, tmp_path / f"f{n}", lambda t, d=data: t.write_bytes(d)
        )

    assert len(list((tmp_path / "cache").glob("*/*"))) == 1
    with pytest.raises(ValueError, match="unexpected ETag"):
        cache.materialize("../../etc", 1, tmp_path / "y", lambda t: None)
