"""Tokens go to the keyring under service "hearth", or to a 0600 file with a warning when there is none."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from render_client.credentials import (
    KEYRING_SERVICE,
    default_fallback_path,
    delete_token,
    load_token,
    secret_service_lookup,
    store_token,
)
from tests.memory_keyring import MemoryKeyring

FARM = "https://farm.example.org:8443/"
USER = "https://farm.example.org:8443"


class LockedKeyring(MemoryKeyring):
    """A keyring whose collection is locked, as after login on some desktops."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated home: the default fallback path lands in it, and nothing else may be written there."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_keyring_round_trip_under_one_service(home: Path) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    result = store_token(FARM, "tok-1")
    assert (result.location, result.warning) == ("keyring", None)
    assert backend.store == {(KEYRING_SERVICE, USER): "tok-1"}
    assert KEYRING_SERVICE == "hearth"
    assert load_token(USER) == "tok-1"
    assert load_token("https://other.example.org") is None
    delete_token(FARM)
    assert load_token(FARM) is None
    delete_token(FARM)  # deleting twice is fine
    assert files_under(home) == [], "with a keyring, no token may touch the disk"


def test_no_keyring_falls_back_to_a_0600_file_with_a_warning(
    home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with caplog.at_level(logging.WARNING, logger="render_client.credentials"):
        result = store_token(FARM, "tok-2")
    path = home / "config" / "hearth" / "credentials.json"
    assert path == default_fallback_path()
    assert result.location == "file"
    assert result.warning is not None and str(path) in result.warning and "keyring" in result.warning
    assert any(str(path) in r.getMessage() for r in caplog.records)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["tokens"] == {USER: "tok-2"}
    assert files_under(home) == [path], "the token is written nowhere else"
    assert load_token(FARM) == "tok-2"
    delete_token(FARM)
    assert load_token(FARM) is None
    assert json.loads(path.read_text())["tokens"] == {}


def test_locked_keyring_falls_back_too(tmp_path: Path) -> None:
    keyring.set_keyring(LockedKeyring())
    path = tmp_path / "creds.json"
    assert store_token(FARM, "tok-3", fallback_path=path).location == "file"
    assert load_token(FARM, fallback_path=path) == "tok-3"


def test_token_moves_to_the_keyring_once_one_exists(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store_token(FARM, "old", fallback_path=path)
    store_token("https://second.example.org", "keep", fallback_path=path)
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    assert load_token(FARM, fallback_path=path) == "old", "a token saved in the file is not lost"
    assert store_token(FARM, "new", fallback_path=path).location == "keyring"
    assert memory.store[(KEYRING_SERVICE, USER)] == "new"
    assert json.loads(path.read_text())["tokens"] == {"https://second.example.org": "keep"}


def test_loose_file_permissions_are_tightened(tmp_path: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    path = tmp_path / "creds.json"
    store_token(FARM, "tok", fallback_path=path)
    path.chmod(0o644)
    assert load_token(FARM, fallback_path=path) == "tok"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


SECRET_SERVICE_TIMEOUT_S = 60.0
_PROBE = """
import json, sys, keyring
from render_client.credentials import load_token, store_token
if sys.argv[1] == "app":
    stored = store_token(sys.argv[2], sys.argv[3])
    print(json.dumps({"backend": type(keyring.get_keyring()).__module__, "location": stored.location}))
else:
    print(json.dumps({"backend": type(keyring.get_keyring()).__module__, "token": load_token(sys.argv[2])}))
"""


@pytest.mark.skipif(
    not (shutil.which("gnome-keyring-daemon") and shutil.which("dbus-run-session")),
    reason="gnome-keyring / dbus-run-session are not installed",
)
def test_without_a_keyring_backend_the_app_token_is_read_from_the_secret_service(tmp_path: Path) -> None:
    """As in Blender: keyring has no usable backend, yet the app stored the token in the Secret Service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_KEYRING", "DBUS_"))}
    env |= {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / ".local/share"),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    script = (
        'echo -n "ci-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; '
        '"$0" -c "$1" app "$2/" "$3" && '
        'PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring "$0" -c "$1" addon "$2"'
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script, sys.executable, _PROBE, USER, "tok-from-app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SECRET_SERVICE_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    app, addon = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert app == {"backend": "keyring.backends.SecretService", "location": "keyring"}
    assert addon == {"backend": "keyring.backends.fail", "token": "tok-from-app"}
    assert not (tmp_path / ".config" / "hearth").exists(), "the token must not have gone to the fallback file"


def test_no_session_bus_means_no_secret_service_token(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "no-bus"))
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert secret_service_lookup(KEYRING_SERVICE, USER) is None
    assert load_token(FARM) is None
