"""The embedded farm's own account, created on first start for the desktop app."""

from __future__ import annotations

import json
import os
from pathlib import Path

from backend.context import FarmContext

LOCAL_EMAIL = "local@hearth.localhost"
CREDENTIALS_FILE = "local-credentials.json"


def ensure_local_account(ctx: FarmContext) -> Path | None:
    """On the first start of an empty farm, creates the local account and writes a 0600 credentials file.

    Returns the file's path when it exists. A farm that already has accounts is left alone: its
    operator manages accounts with `hearth-server user`.
    """
    path = ctx.settings.data_dir / CREDENTIALS_FILE
    if path.exists():
        return path
    if ctx.accounts.list_accounts():
        return None
    ctx.accounts.create_account(LOCAL_EMAIL)
    token = ctx.accounts.issue_token(LOCAL_EMAIL, label="local farm")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"email": LOCAL_EMAIL, "token": token}, handle)
    return path
