"""The PyInstaller bundle (`make bundle`) passes its own self-test; skipped until it is built."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dist" / "hearth-app" / "hearth-app"
SELF_TEST_TIMEOUT_S = 180


@pytest.mark.skipif(not BUNDLE.exists(), reason="no bundle: run `make bundle`")
def test_bundle_self_test(tmp_path: Path) -> None:
    # bpy is not bundled: the bundle's nodes render with a python that has it (here, this venv's).
    env = {
        **os.environ,
        "HEARTH_BPY_PYTHON": sys.executable,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    proc = subprocess.run(
        [str(BUNDLE), "--self-test", "--data-dir", str(tmp_path / "app")],
        env=env,
        capture_output=True,
        text=True,
        timeout=SELF_TEST_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ended Success" in proc.stderr
