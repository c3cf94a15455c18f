"""Flexible checksums (x-amz-checksum-*): incremental CRC32, CRC32C, CRC64NVME, SHA1 and SHA256."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

from backend.s3.errors import S3Error

HEADER_PREFIX = "x-amz-checksum-"


class Checksum(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class Crc32:
    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


def _reflected_table(poly: int) -> list[int]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ poly if value & 1 else value >> 1
        table.append(value)
    return table


class _TableCrc:
    """Pure-Python reflected CRC (no C library for these here); slow, used only when a client asks."""

    table: list[int]
    mask: int
    width_bytes: int

    def __init__(self) -> None:
        self._value = self.mask

    def update(self, data: bytes) -> None:
        value, table = self._value, self.table
        for byte in data:
            value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
        self._value = value

    def digest(self) -> bytes:
        return (self._value ^ self.mask).to_bytes(self.width_bytes, "big")


class Crc32c(_TableCrc):
    table = _reflected_table(0x82F63B78)
    mask = 0xFFFFFFFF
    width_bytes = 4


class Crc64Nvme(_TableCrc):
    table = _reflected_table(0x9A6C9329AC4BC9B5)
    mask = 0xFFFFFFFFFFFFFFFF
    width_bytes = 8


ALGORITHMS: dict[str, Callable[[], Checksum]] = {
    "crc32": Crc32,
    "crc32c": Crc32c,
    "crc64nvme": Crc64Nvme,
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}
DIGEST_BYTES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}


def decode_expected(algorithm: str, value: str) -> bytes:
    """The binary digest of a header or trailer value; InvalidRequest if it is not one."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != DIGEST_BYTES[algorithm]:
        raise S3Error("InvalidRequest", f"Value for x-amz-checksum-{algorithm} header is invalid.")
    return raw


def algorithm_of(header_name: str) -> str | None:
    """'x-amz-checksum-crc32' -> 'crc32'; None for other names and unknown algorithms."""
    if not header_name.startswith(HEADER_PREFIX):
        return None
    name = header_name[len(HEADER_PREFIX) :]
    return name if name in ALGORITHMS else None


def mismatch(algorithm: str) -> S3Error:
    return S3Error(
        "BadDigest", f"The {algorithm.upper()} you specified did not match the calculated checksum."
    )
