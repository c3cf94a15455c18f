"""Test helper: signs raw requests with botocore, including hand-built signed aws-chunked bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from typing import Any

import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class _FixedPayloadAuth(S3SigV4Auth):  # type: ignore[misc]
    def __init__(self, credentials: Credentials, payload: str) -> None:
        super().__init__(credentials, "s3", "us-east-1")
        self._payload = payload

    def payload(self, request: Any) -> str:
        return self._payload


def signed_headers(
    method: str, url: str, creds: tuple[str, str], payload: str, headers: dict[str, str] | None = None
) -> dict[str, str]:
    """Headers of a request signed with (e-mail, token), declaring `payload` as x-amz-content-sha256."""
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    _FixedPayloadAuth(Credentials(*creds), payload).add_auth(request)
    return dict(request.headers.items())


def _key(token: str, date: str) -> bytes:
    key = ("AWS4" + token).encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def put_signed_chunked(
    url: str,
    email: str,
    token: str,
    data: bytes,
    *,
    chunk_size: int = 64 * 1024,
    trailer: bool = False,
    tamper_chunk: bool = False,
    checksum: str | None = None,
) -> requests.Response:
    """PUTs `data` as STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], each chunk signed as AWS documents."""
    payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    base = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        base["x-amz-trailer"] = "x-amz-checksum-crc32"
    headers = signed_headers("PUT", url, (email, token), payload, base)
    amz_date = headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    key = _key(token, amz_date[:8])
    previous = headers["Authorization"].rsplit("Signature=", 1)[1]
    body = bytearray()
    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for chunk in chunks:
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope,
                previous,
                EMPTY_SHA256,
                hashlib.sha256(chunk).hexdigest(),
            ]
        )
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = chunk[:-1] + b"?" if tamper_chunk and chunk else chunk
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + sent + b"\r\n"
    if trailer:
        body = body[:-2]  # the final chunk's CRLF is replaced by the trailer section
        line = f"x-amz-checksum-crc32:{checksum or crc32_b64(data)}\n"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256(line.encode()).hexdigest()]
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        body += line.replace("\n", "\r\n").encode() + f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    return requests.put(url, data=bytes(body), headers=headers, timeout=30)
