"""Opaque, stable page tokens: keyset pagination on the row id, bound to one listing and filter."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from backend.tasks.errors import InvalidRequestError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _fingerprint(kind: str, flt: dict[str, Any] | None) -> str:
    # A token is only valid for the listing and filter it came from; reusing it elsewhere is a 400.
    canonical = json.dumps([kind, flt], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def encode_token(kind: str, flt: dict[str, Any] | None, after_id: int) -> str:
    raw = json.dumps({"a": after_id, "f": _fingerprint(kind, flt)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(kind: str, flt: dict[str, Any] | None, token: str | None) -> int:
    """The id after which the next page starts (0 for the first page)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, fingerprint = int(data["a"]), str(data["f"])
    except (ValueError, TypeError, KeyError):
        raise InvalidRequestError(f"page token {token[:40]!r} is not a token this server issued") from None
    if fingerprint != _fingerprint(kind, flt):
        raise InvalidRequestError(
            "page token belongs to another listing or filter; start again without a token"
        )
    return after


def page_size(requested: int | None) -> int:
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
