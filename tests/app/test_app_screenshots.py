"""Runs the screenshot scenario under Xvfb (xcb platform) in a subprocess; PNGs go to tests/artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOT_TIMEOUT_S = 240


@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="xvfb-run is not installed")
def test_screenshots_under_xvfb() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "HEARTH_ARTIFACTS": str(ARTIFACTS)}
    env.pop("DISPLAY", None)
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1440x900x24",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(REPO / "tests" / "app" / "screens_under_xvfb.py"),
    ]
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=SCREENSHOT_TIMEOUT_S, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout, proc.stdout[-2000:]
    for name in ("main_window", "submit_dialog", "task_detail", "fleet_view"):
        assert (ARTIFACTS / f"app_{name}.png").is_file()
