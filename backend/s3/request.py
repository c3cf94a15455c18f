"""S3Request: the parsed view of one ASGI request (path-style bucket and key, query, headers)."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.types import Scope

from backend.s3.errors import S3Error

_REQUEST_IDS = itertools.count(1)
_PROCESS_TAG = os.urandom(4).hex().upper()


def new_request_id() -> str:
    return f"{_PROCESS_TAG}{next(_REQUEST_IDS):012X}"


def _decode_segment(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise S3Error("InvalidArgument", "Bucket names and keys must be valid UTF-8.") from None


@dataclass
class S3Request:
    method: str
    raw_path: str
    raw_query: str
    query: dict[str, str]
    headers: dict[str, list[str]]
    bucket: str | None
    key: str | None
    request_id: str
    relative_path: str = ""  # raw path after the endpoint prefix: "/bucket/key" (SigV2 signs this)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None

    @classmethod
    def from_scope(cls, scope: Scope) -> S3Request:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        root: str = scope.get("root_path", "")
        # The signature covers the path as sent, prefix included; bucket and key follow the prefix.
        relative = raw_path[len(root.encode()) :] if root and raw_path.startswith(root.encode()) else raw_path
        bucket_raw, _, key_raw = relative.lstrip(b"/").partition(b"/")
        headers: dict[str, list[str]] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        raw_query = scope.get("query_string", b"").decode("latin-1")
        return cls(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            raw_query=raw_query,
            query=dict(reversed(parse_qsl(raw_query, keep_blank_values=True))),
            headers=headers,
            bucket=_decode_segment(bucket_raw) or None,
            key=_decode_segment(key_raw) or None,
            request_id=new_request_id(),
            relative_path=relative.decode("latin-1") or "/",
        )
