"""The token reaches no file in plaintext, except the 0600 fallback (with a warning) without a keyring."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt

from render_app.widgets.main_window import MainWindow
from render_client.credentials import default_fallback_path
from tests.farm_harness import start_farm_process, stop_process
from tests.memory_keyring import MemoryKeyring

REPO = Path(__file__).resolve().parents[2]
PROBE_TIMEOUT_S = 60


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[tuple[str, str]]:
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        yield str(ready["url"]), str(token)
    finally:
        stop_process(process)


def user_files_with(secret: str) -> list[Path]:
    """Every file under the test's user dirs (config, cache, data) that holds the secret in plaintext."""
    found = []
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        root = Path(os.environ[var])
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


def log_in(qtbot: Any, window: MainWindow, url: str, token: str) -> None:
    page = window.connect_page
    page.url_edit.setText(url)
    page.token_edit.setText(token)
    qtbot.mouseClick(page.remote_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 1, timeout=30_000)


def test_token_goes_to_the_keyring_only(
    qtbot: Any, window: MainWindow, memory_keyring: MemoryKeyring, farm: tuple[str, str]
) -> None:
    url, token = farm
    log_in(qtbot, window, url, token)
    assert memory_keyring.store[("hearth", url)] == token
    assert user_files_with(token) == []
    assert window.warning_banner.isHidden()


def test_without_keyring_the_token_goes_to_a_0600_file_with_a_warning(
    qtbot: Any, window: MainWindow, farm: tuple[str, str]
) -> None:
    keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture restores the previous one
    url, token = farm
    log_in(qtbot, window, url, token)
    fallback = default_fallback_path()
    assert user_files_with(token) == [fallback]
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o600
    assert not window.warning_banner.isHidden()
    assert str(fallback) in window.warning_banner.text()


@pytest.mark.skipif(not shutil.which("gnome-keyring-daemon"), reason="gnome-keyring is not installed")
def test_real_secret_service_keeps_the_token_encrypted(tmp_path: Path, farm: tuple[str, str]) -> None:
    url, token = farm
    home = tmp_path / "keyring-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_KEYRING", "DBUS_"))}
    env |= {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHONPATH": str(REPO),
    }
    script = (
        'echo -n "ci-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; '
        f'exec "{sys.executable}" "{REPO / "tests/app/keyring_probe.py"}" "$0" "$1"'
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script, url, token],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "SecretService" in result["backend"] or "chainer" in result["backend"].lower(), result
    assert result["location"] == "keyring" and result["warning"] is None
    assert result["loaded"] is True
    assert result["plaintext"] == [], result
