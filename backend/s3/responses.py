"""Raw ASGI responses for the S3 endpoint (no framework objects on the hot path)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Send

from backend.s3.errors import NotModified, S3Error
from backend.s3.xml import error_document

Headers = list[tuple[bytes, bytes]]
XML_CONTENT_TYPE = (b"content-type", b"application/xml")


def header(name: str, value: str | int) -> tuple[bytes, bytes]:
    return name.encode("latin-1"), str(value).encode("latin-1")


def quoted_etag(etag: str) -> str:
    return f'"{etag}"'


async def send_bytes(
    send: Send,
    status: int,
    request_id: str,
    body: bytes = b"",
    headers: Headers | None = None,
    *,
    head: bool = False,
) -> None:
    all_headers = [(b"x-amz-request-id", request_id.encode()), *(headers or [])]
    if not any(name == b"content-length" for name, _ in all_headers):
        all_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def send_xml(send: Send, request_id: str, document: bytes, status: int = 200) -> None:
    await send_bytes(send, status, request_id, document, [XML_CONTENT_TYPE])


async def send_stream(
    send: Send, status: int, request_id: str, headers: Headers, blocks: AsyncIterator[bytes]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"x-amz-request-id", request_id.encode()), *headers],
        }
    )
    async for block in blocks:
        await send({"type": "http.response.body", "body": block, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def send_error(send: Send, request_id: str, error: S3Error, *, head: bool) -> None:
    headers: Headers = [*error.headers]
    if head:
        # HEAD answers carry no body, so S3 sends the bare status.
        await send_bytes(send, error.status, request_id, b"", headers, head=True)
        return
    body = error_document(error.code, error.message, error.bucket, error.key, request_id)
    await send_bytes(send, error.status, request_id, body, [XML_CONTENT_TYPE, *headers])


async def send_not_modified(send: Send, request_id: str, error: NotModified) -> None:
    headers = [header("etag", error.etag), header("last-modified", error.last_modified)]
    await send(
        {
            "type": "http.response.start",
            "status": 304,
            "headers": [(b"x-amz-request-id", request_id.encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": b""})
