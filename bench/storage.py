"""Storage benchmark: boto3 against Hearth, moto (the peer baseline) and a plain file copy (the limit).

Run: .venv/bin/python bench/storage.py [--big-mb 200] [--files 2000] [--file-kb 4]
Each server runs in its own process so that the client's threads do not share its GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
THREADS = 10  # boto3's default transfer concurrency
MB = 1_000_000

HEARTH_CHILD = """
import sys
from pathlib import Path
from backend.config import Settings
from backend.server import run_foreground
run_foreground(Settings(data_dir=Path(sys.argv[1]), port=0))
"""

MOTO_CHILD = """
import sys, threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("MOTO_READY", server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


@dataclass
class Endpoint:
    url: str
    access_key: str
    secret_key: str


@contextmanager
def child(code: str, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield process, line
    finally:
        process.terminate()
        process.wait(15)


@contextmanager
def hearth(work: Path) -> Iterator[Endpoint]:
    with child(HEARTH_CHILD, str(work / "hearth")) as (_, line):
        ready = json.loads(line.split(" ", 1)[1])
        creds = json.loads(Path(ready["credentials"]).read_text())
        yield Endpoint(ready["storage"], creds["email"], creds["token"])


@contextmanager
def moto() -> Iterator[Endpoint]:
    with child(MOTO_CHILD) as (_, line):
        yield Endpoint(f"http://127.0.0.1:{line.split()[1]}", "testing", "testing")


def client(endpoint: Endpoint) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint.url,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        region_name="us-east-1",
        config=Config(max_pool_connections=THREADS * 2),
    )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_s3(endpoint: Endpoint, big: Path, small: list[Path], out: Path, bucket: str) -> dict[str, float]:
    s3 = client(endpoint)
    s3.create_bucket(Bucket=bucket)
    big_bytes = big.stat().st_size
    small_names = [p.name for p in small]
    up = timed(lambda: s3.upload_file(str(big), bucket, "big.bin"))
    down = timed(lambda: s3.download_file(bucket, "big.bin", str(out / "big.bin")))
    with ThreadPoolExecutor(THREADS) as pool:
        bodies = {p.name: p.read_bytes() for p in small}
        files_up = timed(
            lambda: list(pool.map(lambda n: s3.put_object(Bucket=bucket, Key=n, Body=bodies[n]), small_names))
        )

        def get(name: str) -> None:
            (out / name).write_bytes(s3.get_object(Bucket=bucket, Key=name)["Body"].read())

        files_down = timed(lambda: list(pool.map(get, small_names)))
    s3.close()
    return _rates(big_bytes, count=len(small), up=up, down=down, files_up=files_up, files_down=files_down)


def run_copy(big: Path, small: list[Path], work: Path) -> dict[str, float]:
    store, back = work / "copy-store", work / "copy-back"
    store.mkdir()
    back.mkdir()
    up = timed(lambda: shutil.copyfile(big, store / "big.bin"))
    down = timed(lambda: shutil.copyfile(store / "big.bin", back / "big.bin"))
    with ThreadPoolExecutor(THREADS) as pool:
        files_up = timed(lambda: list(pool.map(lambda p: shutil.copyfile(p, store / p.name), small)))
        files_down = timed(
            lambda: list(pool.map(lambda p: shutil.copyfile(store / p.name, back / p.name), small))
        )
    return _rates(
        big.stat().st_size, count=len(small), up=up, down=down, files_up=files_up, files_down=files_down
    )


def _rates(
    big_bytes: int, *, count: int, up: float, down: float, files_up: float, files_down: float
) -> dict[str, float]:
    return {
        "MB/s up": big_bytes / MB / up,
        "MB/s down": big_bytes / MB / down,
        "files/s up": count / files_up,
        "files/s down": count / files_down,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--file-kb", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="runs per server; the best of them is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        work = Path(tmp)
        big = work / "big.bin"
        with open(big, "wb") as handle:
            for _ in range(args.big_mb):
                handle.write(os.urandom(MB))
        small_dir = work / "small"
        small_dir.mkdir()
        small = []
        for i in range(args.files):
            path = small_dir / f"f{i:05d}.bin"
            path.write_bytes(os.urandom(args.file_kb * 1024))
            small.append(path)
        results: dict[str, dict[str, float]] = {}
        # The machine may be shared: servers take turns, and each keeps its best of --repeat runs.
        with hearth(work) as hearth_endpoint, moto() as moto_endpoint:
            for run in range(args.repeat):
                for name, endpoint in (("hearth", hearth_endpoint), ("moto", moto_endpoint)):
                    out = work / f"out-{name}-{run}"
                    out.mkdir()
                    rates = run_s3(endpoint, big, small, out, f"bench{run}")
                    best = results.setdefault(name, rates)
                    for column, value in rates.items():
                        best[column] = max(best[column], value)
                    print(
                        f"{name} run {run + 1}: " + ", ".join(f"{k} {v:.0f}" for k, v in rates.items()),
                        file=sys.stderr,
                    )
        results["copy"] = run_copy(big, small, work)
    print_table(results, args)
    return 0


def print_table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    columns = list(results["hearth"])
    print(
        f"\n{args.big_mb} MB file; {args.files} files of {args.file_kb} KB; {THREADS} client threads;"
        f" best of {args.repeat} runs\n"
    )
    print(f"{'':16}" + "".join(f"{c:>14}" for c in columns))
    for name, row in results.items():
        print(f"{name:16}" + "".join(f"{row[c]:>14.1f}" for c in columns))
    for base in ("moto", "copy"):
        ratios = [results["hearth"][c] / results[base][c] for c in columns]
        print(f"{'hearth/' + base:16}" + "".join(f"{r:>14.2f}" for r in ratios))


if __name__ == "__main__":
    raise SystemExit(main())
