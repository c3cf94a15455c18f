"""Request details shared by object operations: user metadata, Content-MD5, object response headers."""

from __future__ import annotations

import base64
import binascii

from backend.s3.errors import S3Error
from backend.s3.request import S3Request
from backend.s3.responses import Headers, header, quoted_etag
from backend.s3.xml import http_time
from backend.storage.engine import ObjectInfo

META_PREFIX = "x-amz-meta-"
MAX_METADATA_BYTES = 2048
MAX_OBJECT_BYTES = 5 * 1024**3
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
_RESPONSE_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}


def user_metadata(req: S3Request) -> dict[str, str]:
    found = {n[len(META_PREFIX) :]: ",".join(v) for n, v in req.headers.items() if n.startswith(META_PREFIX)}
    if sum(len(k) + len(v) for k, v in found.items()) > MAX_METADATA_BYTES:
        raise S3Error(
            "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size (2 KB)."
        )
    return found


def content_type(req: S3Request) -> str:
    return req.header("content-type") or DEFAULT_CONTENT_TYPE


def content_md5(req: S3Request) -> str | None:
    """The hex digest of a Content-MD5 header, or None; InvalidDigest when it is not an MD5."""
    value = req.header("content-md5")
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.")
    return raw.hex()


def object_headers(req: S3Request, info: ObjectInfo, *, with_checksums: bool) -> Headers:
    headers = [
        header("etag", quoted_etag(info.etag)),
        header("last-modified", http_time(info.last_modified)),
        header("content-type", info.content_type),
        (b"accept-ranges", b"bytes"),
    ]
    headers += [header(META_PREFIX + name, value) for name, value in info.metadata.items()]
    if with_checksums and (req.header("x-amz-checksum-mode") or "").upper() == "ENABLED":
        headers += [header(f"x-amz-checksum-{alg}", value) for alg, value in info.checksums.items()]
    for query_name, header_name in _RESPONSE_OVERRIDES.items():
        override = req.query.get(query_name)
        if override is not None:
            headers = [h for h in headers if h[0] != header_name.encode()]
            headers.append(header(header_name, override))
    return headers
