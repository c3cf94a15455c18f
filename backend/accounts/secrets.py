"""Derives API tokens from the server key, so the database holds only token ids and hashes.

S3 Signature V4 needs the secret itself on the server (the token is the S3 secret key, as in
Qarnot). Deriving each token as HMAC(server key, token id) lets the server recompute it when a
signed request arrives, while a stolen database alone reveals no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

TOKEN_PREFIX = "hth"
SERVER_KEY_BYTES = 32
SERVER_KEY_FILE = "server.key"


def load_or_create_server_key(data_dir: Path) -> bytes:
    env = os.environ.get("HEARTH_SERVER_KEY")
    if env:
        return bytes.fromhex(env)
    path = data_dir / SERVER_KEY_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(SERVER_KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def new_token_id() -> str:
    return secrets.token_hex(8)


def derive_token(server_key: bytes, token_id: str) -> str:
    mac = hmac.new(server_key, token_id.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{TOKEN_PREFIX}_{token_id}_{mac}"


def token_id_of(token: str) -> str | None:
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    return parts[1]


def sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
