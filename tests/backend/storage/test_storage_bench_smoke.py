"""bench/storage.py still runs end to end (tiny sizes, one run) and prints its table; speed is not judged."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLUMNS = ["MB/s up", "MB/s down", "files/s up", "files/s down"]
NUMBER = r"\s+(\d+(?:\.\d+)?)"


@pytest.mark.timeout(120)
def test_storage_bench_prints_its_table_at_tiny_sizes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "storage.py"),
            *("--big-mb", "1", "--files", "8", "--file-kb", "1", "--repeat", "1"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "1 MB file; 8 files of 1 KB; 10 client threads; best of 1 runs" in out, out
    header = next(line for line in out.splitlines() if "MB/s up" in line)
    assert header.split() == " ".join(COLUMNS).split()
    for row in ("hearth", "moto", "copy", "hearth/moto", "hearth/copy"):
        match = re.search(rf"^{re.escape(row)}{NUMBER * len(COLUMNS)}\s*$", out, re.MULTILINE)
        assert match, f"no {row!r} row with {len(COLUMNS)} numbers in:\n{out}"
        assert all(float(value) > 0 for value in match.groups()), match.group(0)
    # Progress lines go to stderr, one per server and run.
    assert re.search(r"^hearth run 1: MB/s up \d+", result.stderr, re.MULTILINE)
    assert re.search(r"^moto run 1: MB/s up \d+", result.stderr, re.MULTILINE)
