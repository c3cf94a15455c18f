"""The StorageEngine port: what the S3 protocol layer and the node service need from storage.

Bucket ownership lives in the database (see backend.storage.buckets); engines only store bytes
and object metadata. Engines are synchronous and thread-safe: async callers run them in a worker
thread. Request bodies arrive as iterables of byte blocks; an iterable may raise at its end (a
failed payload check), in which case the engine discards what it wrote and re-raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

MIB = 1024 * 1024
READ_BLOCK_BYTES = MIB
MIN_PART_BYTES = 5 * MIB
MAX_PART_NUMBER = 10_000


class StorageError(Exception):
    """Base of every storage failure; `code` is the S3 error code it maps to."""

    code = "InternalError"


class NoSuchBucket(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "NoSuchBucket"


class NoSuchKey(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "NoSuchKey"


class NoSuchUpload(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "NoSuchUpload"


class BucketNotEmpty(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "BucketNotEmpty"


class InvalidPart(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "InvalidPart"


class InvalidPartOrder(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "InvalidPartOrder"


class EntityTooSmall(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "EntityTooSmall"


class BadDigest(StorageError):  # noqa: N818 (named after its S3 error code)
    code = "BadDigest"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # without quotes: md5 hex, or md5-of-md5s "-N" for multipart objects
    last_modified: datetime
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    # Verified full-object checksums the client sent, by algorithm ("crc32" -> base64 value).
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PartInfo:
    part_number: int
    size: int
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class UploadInfo:
    upload_id: str
    key: str
    initiated: datetime


@dataclass(frozen=True)
class ObjectPage:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None  # the last key or prefix returned, to continue after


class ObjectReader(Protocol):
    """One consistent version of an object: its info, then any byte ranges of that same version."""

    info: ObjectInfo

    def read(self, start: int, end: int) -> Iterator[bytes]:
        """Yields bytes [start, end] inclusive in blocks of at most READ_BLOCK_BYTES."""

    def close(self) -> None: ...


class StorageEngine(Protocol):
    """Stores objects of buckets whose ownership is already checked by the caller."""

    def create_bucket(self, bucket: str) -> None:
        """Idempotent; called after the BucketRegistry recorded the bucket."""

    def delete_bucket(self, bucket: str) -> None:
        """Raises BucketNotEmpty when objects or uploads remain."""

    def put_object(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        metadata: dict[str, str],
        content_md5: str | None = None,
        checksums: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Stores atomically: the object becomes visible only once complete.

        `content_md5` (hex) is checked before the object becomes visible (BadDigest); `checksums`
        are values already verified by the caller, kept to be returned on reads.
        """

    def head_object(self, bucket: str, key: str) -> ObjectInfo: ...

    def get_object(self, bucket: str, key: str) -> ObjectReader:
        """Raises NoSuchKey; the caller must close the reader."""

    def read_object(self, bucket: str, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yields bytes [start, end] inclusive (end None = to the last byte)."""

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        """A seekable file for the node's content cache and whole-object reads."""

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Copies content; None content_type/metadata keep the source's (metadata directive COPY)."""

    def delete_object(self, bucket: str, key: str) -> None:
        """Deleting a missing key is not an error (S3 semantics)."""

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "", limit: int = 1000
    ) -> ObjectPage: ...

    def create_multipart_upload(
        self, bucket: str, key: str, *, content_type: str, metadata: dict[str, str]
    ) -> str: ...

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        chunks: Iterable[bytes],
        *,
        content_md5: str | None = None,
    ) -> PartInfo: ...

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        """`parts` are (part number, etag without quotes) in the order the client listed them."""

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None: ...

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[PartInfo]: ...

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[UploadInfo]: ...
