"""Incremental, parallel, resumable upload of packages: against the real farm's S3 and against moto."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from render_client.errors import CannotReachServer, NotAuthorized
from render_client.hash_cache import DEFAULT_PART_SIZE_B, FileHash, HashCache, hash_file
from render_client.progress import ProgressTracker, TransferSnapshot, describe
from render_client.submit import input_bucket_name
from render_client.sync import Syncer, plan_sync, sync_files
from render_client.transfer import (
    RemoteObject,
    StorageAccess,
    TransferCancelled,
    ensure_bucket,
    list_objects,
    s3_client,
)
from tests.farm_harness import RunningFarm, farm_in_thread

MIB = 1024 * 1024
RESUME_FILE_MIB = 300
WAIT_S = 60.0


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path_factory.mktemp("farm")) as running:
        yield running


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["farm", "moto"])
def access(request: pytest.FixtureRequest) -> StorageAccess:
    if request.param == "farm":
        running: RunningFarm = request.getfixturevalue("farm")
        return StorageAccess(running.storage_url, running.email, running.token)
    return StorageAccess(request.getfixturevalue("moto_url"), "testing", "testing")


@pytest.fixture
def s3(access: StorageAccess) -> Any:
    return s3_client(access)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"sync-{uuid.uuid4().hex[:12]}"
    ensure_bucket(s3, name)
    return name


def write_files(folder: Path, count: int, size_b: int = 2000, prefix: str = "tex") -> dict[str, Path]:
    files = {}
    for i in range(count):
        path = folder / prefix / f"file {i}+.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size_b + i))
        files[f"{prefix}/file {i}+.bin"] = path
    return files


def body_of(s3: Any, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# -- planning (pure) ----------------------------------------------------------------------------


def fh(content: bytes) -> FileHash:
    md5 = hashlib.md5(content).hexdigest()
    return FileHash(len(content), 0, md5, md5, DEFAULT_PART_SIZE_B)


def test_plan_skips_same_content_copies_known_content_and_deletes_only_when_asked() -> None:
    a, b, c = Path("/a"), Path("/b"), Path("/c")
    hashes = {a: fh(b"alpha"), b: fh(b"beta"), c: fh(b"beta")}
    remote = {
        "a.txt": RemoteObject("a.txt", fh(b"alpha").etag, 5, 0.0),
        "old-name.txt": RemoteObject("old-name.txt", fh(b"alpha").etag, 5, 0.0),
        "gone.txt": RemoteObject("gone.txt", fh(b"zzz").etag, 3, 0.0),
    }
    files = {"a.txt": a, "renamed.txt": a, "b.txt": b, "b-dup.txt": c}
    plan = plan_sync(files, hashes, remote)
    assert plan.unchanged == ["a.txt"]
    assert [(x.key, x.source_key) for x in plan.copies_from_remote] == [("renamed.txt", "a.txt")]
    assert [u.key for u in plan.uploads] == ["b-dup.txt"]
    assert [(x.key, x.source_key) for x in plan.copies_from_local] == [("b.txt", "b-dup.txt")]
    assert plan.deletions == []
    assert plan_sync(files, hashes, remote, delete=True).deletions == ["gone.txt", "old-name.txt"]


# -- against S3 (farm and moto) -----------------------------------------------------------------


def test_first_upload_then_unchanged_resync_then_one_changed_file(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    files = write_files(tmp_path, 20)
    first = sync_files(s3, bucket, files)
    assert (first.files_uploaded, first.bytes_uploaded) == (20, first.bytes_total)
    listed = list_objects(s3, bucket)
    assert set(listed) == set(files)
    assert listed["tex/file 3+.bin"].etag == hashlib.md5(files["tex/file 3+.bin"].read_bytes()).hexdigest()

    again = sync_files(s3, bucket, files)
    assert (again.files_uploaded, again.bytes_uploaded, again.files_unchanged) == (0, 0, 20)

    changed = files["tex/file 7+.bin"]
    changed.write_bytes(os.urandom(changed.stat().st_size))
    third = sync_files(s3, bucket, files)
    assert (third.files_uploaded, third.bytes_uploaded) == (1, changed.stat().st_size)
    assert body_of(s3, bucket, "tex/file 7+.bin") == changed.read_bytes()


def test_rename_is_a_server_side_copy_and_delete_is_optional(s3: Any, bucket: str, tmp_path: Path) -> None:
    files = write_files(tmp_path, 3)
    sync_files(s3, bucket, files)
    files["moved/renamed.bin"] = files.pop("tex/file 1+.bin")
    kept = sync_files(s3, bucket, files)
    assert (kept.files_copied, kept.bytes_uploaded, kept.files_deleted) == (1, 0, 0)
    assert "tex/file 1+.bin" in list_objects(s3, bucket)  # no deletion without the flag
    result = sync_files(s3, bucket, files, delete=True)
    assert (result.files_deleted, result.bytes_uploaded) == (1, 0)
    assert set(list_objects(s3, bucket)) == set(files)
    assert body_of(s3, bucket, "moved/renamed.bin") == files["moved/renamed.bin"].read_bytes()


def test_small_files_in_parallel_and_a_multipart_file_with_progress(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    files = write_files(tmp_path, 50)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * DEFAULT_PART_SIZE_B + 12345))
    files["big.bin"] = big
    files["copy-of-big.bin"] = big  # duplicate content: uploaded once, copied on the farm
    snapshots: list[TransferSnapshot] = []
    result = sync_files(s3, bucket, files, progress=snapshots.append)
    assert (result.files_uploaded, result.files_copied) == (51, 1)
    with HashCache() as cache:
        expected = cache.hash(big).etag
    assert expected.endswith("-3")
    assert list_objects(s3, bucket)["big.bin"].etag == expected
    assert body_of(s3, bucket, "copy-of-big.bin") == big.read_bytes()
    done = [s.bytes_done for s in snapshots]
    assert done == sorted(done)
    last = snapshots[-1]
    assert last.finished and last.bytes_done == last.bytes_total == result.bytes_uploaded
    assert (last.files_done, last.files_total) == (52, 52)
    assert sync_files(s3, bucket, files).bytes_uploaded == 0


def test_cancel_stops_promptly_leaves_only_whole_objects_and_the_rerun_finishes(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    files = write_files(tmp_path, 100, size_b=20_000)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 * DEFAULT_PART_SIZE_B))
    files["big.bin"] = big
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def observe(snap: TransferSnapshot) -> None:
        if snap.files_done >= 20 and not cancel.is_set():
            cancelled_at.append(time.monotonic())
            cancel.set()

    with pytest.raises(TransferCancelled):
        Syncer(s3, bucket, workers=4, progress=observe, cancel=cancel).sync(files)
    assert time.monotonic() - cancelled_at[0] < 2.0
    listed = list_objects(s3, bucket)
    assert 20 <= len(listed) < len(files)
    for key, obj in listed.items():  # whatever is visible is complete and correct
        assert obj.etag == hash_file(files[key])[1]
    rest = sync_files(s3, bucket, files)
    assert rest.files_unchanged == len(listed)
    assert rest.files_uploaded == len(files) - len(listed)
    assert set(list_objects(s3, bucket)) == set(files)


def test_storage_errors_are_translated(farm: RunningFarm) -> None:
    wrong = s3_client(StorageAccess(farm.storage_url, farm.email, "not-the-secret"))
    with pytest.raises(NotAuthorized):
        list_objects(wrong, "anything")
    unreachable = s3_client(StorageAccess("http://127.0.0.1:9", "a", "b"), max_attempts=1)
    with pytest.raises(CannotReachServer):
        ensure_bucket(unreachable, "whatever")


# -- resume after SIGKILL (the real CLI against the real farm) ----------------------------------


@pytest.fixture(scope="module")
def empty_blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blend") / "scene.blend"
    script = (
        "import bpy, sys; bpy.ops.wm.read_factory_settings(use_empty=True); "
        "bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, timeout=120)
    return path


def _upload_id(cache_home: Path) -> str | None:
    for state in (cache_home / "hearth" / "uploads").glob("*.json"):
        data = json.loads(state.read_text())
        if data.get("upload_id") and data.get("key") == "cache/big.bin":
            return str(data["upload_id"])
    return None


def _confirmed_parts(s3: Any, bucket: str, upload_id: str) -> int:
    try:
        return len(s3.list_parts(Bucket=bucket, Key="cache/big.bin", UploadId=upload_id).get("Parts", []))
    except ClientError:
        return 0


def test_killed_cli_upload_resumes_and_resends_under_20_percent(
    farm: RunningFarm, empty_blend: Path, tmp_path: Path
) -> None:
    scene = tmp_path / "scene"
    (scene / "cache").mkdir(parents=True)
    (scene / "scene.blend").write_bytes(empty_blend.read_bytes())
    big = scene / "cache" / "big.bin"
    with big.open("wb") as out:
        for _ in range(RESUME_FILE_MIB):
            out.write(os.urandom(MIB))
    size = big.stat().st_size
    parts = -(-size // DEFAULT_PART_SIZE_B)
    cache_home = tmp_path / "cache-home"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    cmd = [sys.executable, "-m", "render_client.cli", "--server", farm.url, "--token", farm.token, "--json"]
    cmd += ["sync", str(scene), "--workers", "4"]
    s3 = s3_client(StorageAccess(farm.storage_url, farm.email, farm.token))
    bucket = input_bucket_name(scene)

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT_S
        confirmed = 0
        # Kill with 6 parts (16 %) missing: 4 in flight may still land, so the upload cannot complete.
        while confirmed < parts - 6:
            assert first.poll() is None, "the upload finished before it could be killed"
            assert time.monotonic() < deadline, f"only {confirmed}/{parts} parts after {WAIT_S} s"
            upload_id = _upload_id(cache_home)
            confirmed = _confirmed_parts(s3, bucket, upload_id) if upload_id else 0
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.communicate(timeout=30)
    assert "cache/big.bin" not in list_objects(s3, bucket)  # nothing half-visible

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    result = json.loads(rerun.stdout)
    assert result["bytes_resumed"] >= confirmed * DEFAULT_PART_SIZE_B
    print(f"resume: killed at {confirmed}/{parts} parts; rerun sent {result['bytes_uploaded'] / size:.1%}")
    assert result["bytes_uploaded"] < 0.2 * size
    assert result["bytes_uploaded"] + result["bytes_resumed"] >= size
    with HashCache(cache_home / "check.sqlite3") as cache:
        assert list_objects(s3, bucket)["cache/big.bin"].etag == cache.hash(big).etag
    assert not list((cache_home / "hearth" / "uploads").glob("*.json"))  # state is cleaned up


def test_progress_snapshots_carry_rate_and_eta() -> None:
    now = [100.0]
    seen: list[TransferSnapshot] = []
    tracker = ProgressTracker(seen.append, clock=lambda: now[0], min_interval_s=0.0)
    tracker.set_totals(bytes_total=1000, files_total=2)
    now[0] += 1.0
    tracker.add_bytes(250)
    tracker.add_file()
    snap = seen[-1]
    assert (snap.bytes_done, snap.files_done, snap.rate_bps) == (250, 1, 250.0)
    assert snap.eta_s == pytest.approx(3.0)
    assert snap.fraction == 0.25
    assert "250 B/1000 B" in describe(snap) and "ETA 3s" in describe(snap)
    now[0] += 1.0
    tracker.add_bytes(750)
    final = tracker.finish()
    assert final.finished and final.eta_s == 0.0 and seen[-1] == final


def test_cancelled_multipart_resumes_in_process_and_a_changed_file_drops_the_stale_upload(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(5 * DEFAULT_PART_SIZE_B))
    cancel = threading.Event()

    def observe(snap: TransferSnapshot) -> None:
        if snap.bytes_done >= 2 * DEFAULT_PART_SIZE_B:
            cancel.set()

    with pytest.raises(TransferCancelled):
        Syncer(s3, bucket, workers=1, progress=observe, cancel=cancel).sync({"big.bin": big})
    states = list((Path(os.environ["XDG_CACHE_HOME"]) / "hearth" / "uploads").glob("*.json"))
    assert len(states) == 1
    resumed = sync_files(s3, bucket, {"big.bin": big})
    assert resumed.bytes_resumed >= 2 * DEFAULT_PART_SIZE_B
    assert resumed.bytes_uploaded + resumed.bytes_resumed == big.stat().st_size
    assert not states[0].exists()

    # Interrupt again, then change the file: the old upload can never be used and is aborted.
    big.write_bytes(os.urandom(5 * DEFAULT_PART_SIZE_B))
    cancel.clear()
    with pytest.raises(TransferCancelled):
        Syncer(s3, bucket, workers=1, progress=observe, cancel=cancel).sync({"big.bin": big})
    (old_state,) = (Path(os.environ["XDG_CACHE_HOME"]) / "hearth" / "uploads").glob("*.json")
    old_id = json.loads(old_state.read_text())["upload_id"]
    big.write_bytes(os.urandom(5 * DEFAULT_PART_SIZE_B))
    fresh = sync_files(s3, bucket, {"big.bin": big})
    assert (fresh.bytes_resumed, fresh.bytes_uploaded) == (0, big.stat().st_size)
    assert not old_state.exists()
    with pytest.raises(ClientError):
        s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=old_id)
