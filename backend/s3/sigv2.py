"""Legacy Signature Version 2 query authentication: boto3's default form of presigned S3 URLs.

Only presigned URLs (AWSAccessKeyId, Expires, Signature in the query) are accepted in this form;
signed requests must use Signature Version 4.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from backend.s3.errors import S3Error

# Query parameters that are part of the signed resource (the S3 "sub-resources" list botocore uses).
SIGNED_SUBRESOURCES = frozenset(
    [
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "location",
        "logging",
        "partNumber",
        "policy",
        "requestPayment",
        "torrent",
        "versioning",
        "versionId",
        "versions",
        "website",
        "uploads",
        "uploadId",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "delete",
        "lifecycle",
        "tagging",
        "restore",
        "storageClass",
        "notification",
        "replication",
        "requestPayment",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    ]
)


def is_presigned_v2(query: dict[str, str]) -> bool:
    return "AWSAccessKeyId" in query and "Signature" in query


def string_to_sign(
    method: str, raw_path: str, raw_query: str, headers: dict[str, list[str]], expires: str
) -> str:
    pairs = []
    for item in raw_query.split("&"):
        name, sep, value = item.partition("=")
        if name in SIGNED_SUBRESOURCES:
            pairs.append(f"{name}={unquote(value)}" if sep else name)
    resource = raw_path + ("?" + "&".join(sorted(pairs)) if pairs else "")
    amz = "".join(
        f"{name}:{','.join(v.strip() for v in values)}\n"
        for name, values in sorted(headers.items())
        if name.startswith("x-amz-")
    )
    md5 = (headers.get("content-md5") or [""])[0]
    content_type = (headers.get("content-type") or [""])[0]
    return f"{method}\n{md5}\n{content_type}\n{expires}\n{amz}{resource}"


def check(secrets: tuple[str, ...], to_sign: str, signature: str) -> bool:
    for secret in secrets:
        expected = base64.b64encode(
            hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if hmac.compare_digest(expected, signature):
            return True
    return False


def expires_at(query: dict[str, str]) -> int:
    try:
        return int(query["Expires"])
    except (KeyError, ValueError):
        raise S3Error("AccessDenied", "A presigned URL needs an integer Expires parameter.") from None
