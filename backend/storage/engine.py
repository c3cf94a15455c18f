"""The StorageEngine port: what the S3 protocol layer and the node service need from storage.

Bucket ownership lives in the database (see backend.storage.buckets); engines only store bytes
and object metadata. Engines are synchronous and thread-safe: async callers run them in a worker
thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """Base of every storage failure; `code` is the S3 error code it maps to."""

    code = "InternalError"


class NoSuchBucket(StorageError):
    code = "NoSuchBucket"


class NoSuchKey(StorageError):
    code = "NoSuchKey"


class NoSuchUpload(StorageError):
    code = "NoSuchUpload"


class BucketNotEmpty(StorageError):
    code = "BucketNotEmpty"


class InvalidPart(StorageError):
    code = "InvalidPart"


class BadDigest(StorageError):
    code = "BadDigest"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # without quotes: md5 hex, or md5-of-md5s "-N" for multipart objects
    last_modified: datetime
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)


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


class StorageEngine(Protocol):
    """Stores objects of buckets whose ownership is already checked by the caller."""

    def create_bucket(self, bucket: str) -> None: ...

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
    ) -> ObjectInfo:
        """Stores atomically: the object becomes visible only once complete."""

    def head_object(self, bucket: str, key: str) -> ObjectInfo: ...

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
    ) -> ObjectInfo: ...

    def delete_object(self, bucket: str, key: str) -> None:
        """Deleting a missing key is not an error (S3 semantics)."""

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "", limit: int = 1000
    ) -> ObjectPage: ...

    def create_multipart_upload(
        self, bucket: str, key: str, *, content_type: str, metadata: dict[str, str]
    ) -> str: ...

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, chunks: Iterable[bytes]) -> PartInfo: ...

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo: ...

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None: ...

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[PartInfo]: ...

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[UploadInfo]: ...
