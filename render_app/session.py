"""A logged-in farm: the REST client and the S3 client, built once off the GUI thread."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render_client.api import FarmClient
from render_client.credentials import StoreResult, load_token, store_token
from render_client.transfer import StorageAccess, s3_client

S3_POOL = 24


@dataclass
class Session:
    url: str
    token: str
    farm: FarmClient
    s3: Any
    email: str
    access: StorageAccess
    stored: StoreResult | None = None
    local: bool = False


def connect(url: str, token: str, *, store: bool = True, local: bool = False) -> Session:
    """Checks the token against the farm (GET /info), then keeps it in the keyring. Blocking: run in Ops."""
    farm = FarmClient(url, token, retries=2)
    access = StorageAccess.from_farm(farm)
    stored = store_token(url, token) if store else None
    s3 = s3_client(access, max_pool_connections=S3_POOL)
    return Session(url, token, farm, s3, access.access_key, access, stored, local)


def connect_local(ready: dict[str, Any]) -> Session:
    """Logs in to a local farm with the token it sent over the pipe (or the credentials file it names).

    The token is not stored: the local farm hands out a fresh one at each start, under a URL whose
    port changes, so keeping it would only leave stale secrets behind.
    """
    token = ready.get("token")
    if not token:
        if not ready.get("credentials"):
            raise LookupError("the local farm sent no credentials (its data folder has other accounts)")
        token = json.loads(Path(str(ready["credentials"])).read_text(encoding="utf-8"))["token"]
    return connect(str(ready["url"]), str(token), store=False, local=True)


def connect_saved(url: str) -> Session:
    token = load_token(url)
    if not token:
        raise LookupError(f"no token stored for {url}; connect again")
    return connect(url, token, store=False)
