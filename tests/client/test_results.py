"""Result downloads from the farm's S3: ETag checks, skips, the newer-local-file rule, following events."""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from render_client.errors import HearthError
from render_client.events import FarmEvent
from render_client.hash_cache import DEFAULT_PART_SIZE_B
from render_client.results import (
    ResultDownloader,
    _StreamHash,
    farm_copy_path,
    follow_results,
    local_path,
)
from render_client.transfer import StorageAccess, ensure_bucket, s3_client
from tests.farm_harness import RunningFarm, farm_in_thread


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path_factory.mktemp("farm")) as running:
        yield running


@pytest.fixture
def s3(farm: RunningFarm) -> Any:
    return s3_client(StorageAccess(farm.storage_url, farm.email, farm.token))


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"results-{uuid.uuid4().hex[:12]}"
    ensure_bucket(s3, name)
    return name


def test_stream_hash_checks_single_and_multipart_etags() -> None:
    data = os.urandom(2 * 1024 + 7)
    digest = _StreamHash(1024)
    for i in range(0, len(data), 100):
        digest.update(data[i : i + 100])
    import hashlib

    parts = [hashlib.md5(data[i : i + 1024]).digest() for i in range(0, len(data), 1024)]
    assert digest.matches(f"{hashlib.md5(b''.join(parts)).hexdigest()}-3")
    assert not digest.matches(f"{hashlib.md5(b'x').hexdigest()}-3")
    assert digest.matches(hashlib.md5(data).hexdigest())
    assert not digest.matches(hashlib.md5(b"other").hexdigest())


def test_unsafe_keys_are_refused(tmp_path: Path) -> None:
    for key in ("../escape.png", "/abs.png", "a//b.png", ""):
        with pytest.raises(HearthError):
            local_path(tmp_path, key)
    assert local_path(tmp_path, "frames/0001.png") == tmp_path / "frames" / "0001.png"
    assert farm_copy_path(tmp_path / "f.png") == tmp_path / "f (farm).png"


def test_download_verifies_skips_identical_and_keeps_a_newer_local_file(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    small, big = os.urandom(5000), os.urandom(DEFAULT_PART_SIZE_B + 100)
    s3.put_object(Bucket=bucket, Key="frames/0001.png", Body=small)
    s3.upload_file(_write(tmp_path / "src.exr", big), bucket, "frames/big.exr")  # boto3 multipart
    dest = tmp_path / "out"
    first = ResultDownloader(s3, bucket, dest).sweep()
    assert sorted(o.status for o in first) == ["downloaded", "downloaded"]
    assert (dest / "frames" / "0001.png").read_bytes() == small
    assert (dest / "frames" / "big.exr").read_bytes() == big
    assert not list(dest.rglob("*.part"))

    again = ResultDownloader(s3, bucket, dest).sweep()
    assert [o.status for o in again] == ["unchanged", "unchanged"]

    # The artist retouched a frame after the farm wrote it: theirs stays, the farm's goes beside it.
    local = dest / "frames" / "0001.png"
    local.write_bytes(b"retouched")
    newer = time.time() + 60
    os.utime(local, (newer, newer))
    kept = ResultDownloader(s3, bucket, dest).download("frames/0001.png")
    assert kept.status == "kept-local" and kept.path == dest / "frames" / "0001 (farm).png"
    assert local.read_bytes() == b"retouched"
    assert kept.path.read_bytes() == small
    assert ResultDownloader(s3, bucket, dest).download("frames/0001.png").status == "kept-local"

    # An older, different local file is simply replaced by the farm's newer frame.
    local.write_bytes(b"stale")
    os.utime(local, (1_000_000, 1_000_000))
    assert ResultDownloader(s3, bucket, dest).download("frames/0001.png").status == "downloaded"
    assert local.read_bytes() == small


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_follow_results_downloads_on_events_and_sweeps_what_events_missed(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    for frame in (1, 2, 3):
        s3.put_object(Bucket=bucket, Key=f"frame_{frame:04d}.png", Body=os.urandom(300 + frame))
    final = {"done": False}

    def events(callback: Callable[[Any], None]) -> Callable[[], None]:
        # Frame 3's event is "lost": only the final sweep can find it.
        callback(FarmEvent(1, "frame-done", "other-task", {"outputs": ["frame_0009.png"]}))
        callback(FarmEvent(2, "frame-done", "t1", {"task": "t1", "frame": 1, "outputs": ["frame_0001.png"]}))
        callback(FarmEvent(3, "frame-done", "t1", {"task": "t1", "frame": 2, "outputs": ["frame_0002.png"]}))
        final["done"] = True
        callback(FarmEvent(4, "task-state", "t1", {"task": "t1", "state": "Success"}))
        return lambda: None

    downloader = ResultDownloader(s3, bucket, tmp_path / "out")
    outcomes = follow_results(downloader, "t1", lambda: final["done"], events)
    assert [o.key for o in outcomes] == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    assert all((tmp_path / "out" / o.key).is_file() for o in outcomes)


def test_downloaded_frames_get_the_usual_file_mode(s3: Any, bucket: str, tmp_path: Path) -> None:
    s3.put_object(Bucket=bucket, Key="frames/0001.png", Body=b"png")
    umask = os.umask(0o022)
    os.umask(umask)
    outcome = ResultDownloader(s3, bucket, tmp_path / "out").download("frames/0001.png")
    assert outcome.status == "downloaded"
    assert stat.S_IMODE(outcome.path.stat().st_mode) == 0o666 & ~umask  # 0644 under umask 022, not 0600
