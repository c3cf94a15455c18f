"""Sync benchmark: a 2,000-file / 500 MB scene to a real local farm, against a plain local copy."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from render_client.api import FarmClient
from render_client.hash_cache import HashCache
from render_client.sync import sync_files
from render_client.transfer import StorageAccess, ensure_bucket, s3_client
from tests.farm_harness import start_farm_process, stop_process

MIB = 1024 * 1024
# (count, min size, max size): 10 big caches, 90 textures, 1,900 small files; about 500 MiB in all.
MIX = ((10, 24 * MIB, 26 * MIB), (90, 1 * MIB, 3 * MIB), (1900, 4 * 1024, 70 * 1024))
BIG_FILE_MIB = 300
SCENE_AGE_S = 3600  # files a minute old or more are cached by hash; a real scene is older than its sync


def build_scene(root: Path) -> dict[str, Path]:
    rng = random.Random(42)
    files: dict[str, Path] = {}
    for group, (count, low, high) in enumerate(MIX):
        for i in range(count):
            key = f"g{group}/d{i % 20:02d}/file_{i:04d}.bin"
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(rng.randint(low, high)))
            files[key] = path
    old = time.time() - SCENE_AGE_S
    for path in files.values():
        os.utime(path, (old, old))
    return files


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hearth-bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
        files = build_scene(tmp / "scene")
        total_b = sum(p.stat().st_size for p in files.values())
        big = tmp / "big" / "cache.bin"
        big.parent.mkdir()
        with big.open("wb") as out:
            for _ in range(BIG_FILE_MIB):
                out.write(os.urandom(MIB))
        process, ready = start_farm_process(tmp / "farm", nodes=0)
        try:
            token = json.loads(Path(ready["credentials"]).read_text())["token"]
            farm = FarmClient(ready["url"], token)
            s3 = s3_client(StorageAccess(farm.storage_url(), farm.user_email(), token))
            ensure_bucket(s3, "bench-scene")
            ensure_bucket(s3, "bench-big")
            rows: list[tuple[str, float, int, int, str]] = []
            with HashCache() as cache:
                t_first, first = timed(lambda: sync_files(s3, "bench-scene", files, hash_cache=cache))
                rows.append(("first upload (hashing included)", t_first, total_b, len(files), str(first)))
                t_again, again = timed(lambda: sync_files(s3, "bench-scene", files, hash_cache=cache))
                rows.append(("unchanged resync", t_again, total_b, len(files), str(again)))
                one = files["g1/d05/file_0005.bin"]
                one.write_bytes(os.urandom(one.stat().st_size))
                t_one, changed = timed(lambda: sync_files(s3, "bench-scene", files, hash_cache=cache))
                rows.append(("resync, one file changed", t_one, total_b, len(files), str(changed)))
                t_big, big_result = timed(
                    lambda: sync_files(s3, "bench-big", {"cache.bin": big}, hash_cache=cache)
                )
                rows.append((f"{BIG_FILE_MIB} MiB single file (multipart)", t_big, big.stat().st_size, 1, ""))
                del big_result
            t_copy, _ = timed(lambda: shutil.copytree(tmp / "scene", tmp / "copy"))
            rows.append(("local copy (shutil.copytree)", t_copy, total_b, len(files), ""))
        finally:
            stop_process(process)
    print(f"scene: {len(files)} files, {total_b / MIB:.0f} MiB; farm: {ready['url']}")
    print(f"{'case':38} {'seconds':>8} {'MB/s':>8} {'files/s':>9} {'vs copy':>8}")
    for name, seconds, size_b, count, _ in rows:
        print(
            f"{name:38} {seconds:8.2f} {size_b / 1e6 / seconds:8.1f} {count / seconds:9.0f} "
            f"{seconds / t_copy:7.1f}x"
        )
    print()
    print("first:   ", first)
    print("unchanged:", again)
    print("one:     ", changed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
