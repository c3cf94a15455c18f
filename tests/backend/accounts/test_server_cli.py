"""`hearth-server user ...` and the first start of `hearth-server serve`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

from tests.farm_harness import start_farm_process, stop_process


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], check=False, capture_output=True, text=True, timeout=60
    )


def test_user_add_prints_a_token_and_list_and_revoke_manage_it(tmp_path: Path) -> None:
    added = run_cli("user", "add", "artist@studio.example", "--data-dir", str(tmp_path))
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("hth_") and "\n" not in token

    listed = run_cli("user", "list", "--data-dir", str(tmp_path))
    assert "artist@studio.example\t1 active token(s)" in listed.stdout

    revoked = run_cli("user", "revoke", "artist@studio.example", "--data-dir", str(tmp_path))
    assert revoked.returncode == 0 and "revoked 1 token(s)" in revoked.stderr
    assert "0 active token(s)" in run_cli("user", "list", "--data-dir", str(tmp_path)).stdout


def test_user_errors_say_what_to_do(tmp_path: Path) -> None:
    run_cli("user", "add", "a@b.org", "--data-dir", str(tmp_path))
    duplicate = run_cli("user", "add", "a@b.org", "--data-dir", str(tmp_path))
    unknown = run_cli("user", "revoke", "x@b.org", "--data-dir", str(tmp_path))

    assert duplicate.returncode == 3 and "already exists" in duplicate.stderr
    assert unknown.returncode == 3 and "hearth-server user add x@b.org" in unknown.stderr
    assert "Traceback" not in duplicate.stderr + unknown.stderr


def test_first_start_writes_local_credentials_that_work(tmp_path: Path) -> None:
    process, ready = start_farm_process(tmp_path)
    try:
        creds_path = Path(ready["credentials"])
        assert creds_path.stat().st_mode & 0o777 == 0o600
        creds = json.loads(creds_path.read_text())
        info = requests.get(f"{ready['url']}/info", headers={"Authorization": creds["token"]}, timeout=10)
        assert info.status_code == 200 and info.json()["email"] == creds["email"]
        assert ready["storage"] == f"{ready['url']}/storage"
    finally:
        stop_process(process)
