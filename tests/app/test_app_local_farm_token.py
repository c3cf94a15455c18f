"""The local farm's token comes over the pipe: no file under the data or config dirs holds it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from backend.local_account import CREDENTIALS_FILE
from render_app.widgets.main_window import MainWindow
from tests.app.conftest import connect_local
from tests.farm_harness import start_farm_process, stop_process


def files_with(secret: str, roots: list[Path]) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


def test_local_farm_token_reaches_no_file(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    # An older run of `hearth-server serve` left the 0600 file in the app's farm folder.
    farm_dir = window.controller.data_dir / "farm"
    process, _ready = start_farm_process(farm_dir, nodes=0)
    stop_process(process)
    old_file = farm_dir / CREDENTIALS_FILE
    old_token = json.loads(old_file.read_text())["token"]

    connect_local(qtbot, window)
    session = window.controller.session
    assert session is not None and session.local and session.stored is None
    assert session.token != old_token  # a fresh token each start; the old one is revoked
    assert not old_file.exists()
    roots = [tmp_path, *(Path(os.environ[v]) for v in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"))]
    assert files_with(session.token, roots) == []
    assert files_with(old_token, roots) == []
    assert not any(session.token in line for line in window.controller.local_farm.log_tail)  # type: ignore[union-attr]
