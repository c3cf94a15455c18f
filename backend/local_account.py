"""The embedded farm's own account, created on first start for the desktop app."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from backend.context import FarmContext

LOCAL_EMAIL = "local@hearth.localhost"
LOCAL_TOKEN_LABEL = "local farm"
CREDENTIALS_FILE = "local-credentials.json"
# `serve --credentials-via-stdout`: the parent process reads this line from the pipe; no file is written.
CREDENTIALS_MARKER = "HEARTH_CREDENTIALS"

_delivery = {"over_stdout": False}  # set once by the `serve` command, before the server starts


def deliver_over_stdout(enabled: bool = True) -> None:
    """Hands the local account's token to the parent over stdout instead of the 0600 file."""
    _delivery["over_stdout"] = enabled


def ensure_local_account(ctx: FarmContext) -> Path | None:
    """On the first start of an empty farm, creates the local account and writes a 0600 credentials file.

    Returns the file's path when it exists. A farm that already has accounts is left alone: its
    operator manages accounts with `hearth-server user`. With `deliver_over_stdout()`, see
    `_announce_over_stdout`: no file, and None.
    """
    path = ctx.settings.data_dir / CREDENTIALS_FILE
    if _delivery["over_stdout"]:
        _announce_over_stdout(ctx, path)
        return None
    if path.exists():
        return path
    if ctx.accounts.list_accounts():
        return None
    ctx.accounts.create_account(LOCAL_EMAIL)
    token = ctx.accounts.issue_token(LOCAL_EMAIL, label=LOCAL_TOKEN_LABEL)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"email": LOCAL_EMAIL, "token": token}, handle)
    return path


def _announce_over_stdout(ctx: FarmContext, path: Path) -> None:
    """Issues a fresh token for the local account, revoking the previous runs' ones, and prints it.

    The plaintext file of earlier runs is removed. A farm whose accounts do not include the local
    account (an operator's farm) gets none, and the line carries no token.
    """
    path.unlink(missing_ok=True)
    emails = {email for email, _tokens in ctx.accounts.list_accounts()}
    line: dict[str, str | None] = {"email": None, "token": None}
    if LOCAL_EMAIL in emails or not emails:
        if LOCAL_EMAIL in emails:
            ctx.accounts.revoke(LOCAL_EMAIL)  # one live token: the one this run hands over
        else:
            ctx.accounts.create_account(LOCAL_EMAIL)
        line = {"email": LOCAL_EMAIL, "token": ctx.accounts.issue_token(LOCAL_EMAIL, label=LOCAL_TOKEN_LABEL)}
    sys.stdout.write(f"{CREDENTIALS_MARKER} {json.dumps(line)}\n")
    sys.stdout.flush()
