"""Validation of bucket names and object keys (bad names are 400s, never paths on disk)."""

from __future__ import annotations

import re

from backend.s3.errors import S3Error

BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IP_PATTERN = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
MAX_KEY_BYTES = 1024


def check_bucket(name: str) -> str:
    if (
        not BUCKET_PATTERN.match(name)
        or ".." in name
        or IP_PATTERN.match(name)
        or ".-" in name
        or "-." in name
    ):
        raise S3Error(
            "InvalidBucketName",
            "Bucket names have 3 to 63 lowercase letters, digits, dots and hyphens, start and end with a"
            " letter or digit, and hold no '..'",
            bucket=name[:100],
        )
    return name


def check_key(key: str, bucket: str | None = None) -> str:
    if not key:
        raise S3Error("InvalidArgument", "The object key is empty.", bucket=bucket)
    if "\x00" in key:
        raise S3Error("InvalidArgument", "Object keys may not contain NUL characters.", bucket=bucket)
    if ".." in key.split("/"):
        raise S3Error("InvalidArgument", "Object keys may not contain '..' path segments.", bucket=bucket)
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError", "Your key is too long (over 1024 bytes).", bucket=bucket)
    return key
