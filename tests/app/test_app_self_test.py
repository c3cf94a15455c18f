"""`hearth-app --self-test` starts the app offscreen, starts a local farm, renders one tiny frame, exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SELF_TEST_TIMEOUT_S = 180


def test_self_test_exits_zero(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("hearth-app")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "render_app"]
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    proc = subprocess.run(
        [*command, "--self-test", "--data-dir", str(tmp_path / "app")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=SELF_TEST_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ended Success" in proc.stderr
