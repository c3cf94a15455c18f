"""MemoryEngine: an in-process fake of the StorageEngine port for unit tests (nothing persists)."""

from __future__ import annotations

import bisect
import hashlib
import io
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from backend.db.base import utcnow
from backend.storage.engine import (
    READ_BLOCK_BYTES,
    BadDigest,
    BucketNotEmpty,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    ObjectInfo,
    ObjectPage,
    PartInfo,
    UploadInfo,
)
from backend.storage.multipart import check_completion, filter_sorted, list_page, multipart_etag


@dataclass
class _Upload:
    info: UploadInfo
    content_type: str
    metadata: dict[str, str]
    parts: dict[int, tuple[PartInfo, bytes]] = field(default_factory=dict)


class BytesReader:
    def __init__(self, info: ObjectInfo, data: bytes) -> None:
        self.info = info
        self._data = data

    def read(self, start: int, end: int) -> Iterator[bytes]:
        for offset in range(start, end + 1, READ_BLOCK_BYTES):
            yield self._data[offset : min(end + 1, offset + READ_BLOCK_BYTES)]

    def close(self) -> None:
        pass


class MemoryEngine:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, tuple[ObjectInfo, bytes]]] = {}
        self._uploads: dict[str, dict[str, _Upload]] = {}

    def _bucket(self, bucket: str) -> dict[str, tuple[ObjectInfo, bytes]]:
        try:
            return self._buckets[bucket]
        except KeyError:
            raise NoSuchBucket(bucket) from None

    def create_bucket(self, bucket: str) -> None:
        with self._lock:
            self._buckets.setdefault(bucket, {})
            self._uploads.setdefault(bucket, {})

    def delete_bucket(self, bucket: str) -> None:
        with self._lock:
            if self._bucket(bucket) or self._uploads.get(bucket):
                raise BucketNotEmpty(bucket)
            del self._buckets[bucket]
            self._uploads.pop(bucket, None)

    @staticmethod
    def _collect(chunks: Iterable[bytes], content_md5: str | None) -> tuple[bytes, str]:
        data = b"".join(chunks)
        digest = hashlib.md5(data).hexdigest()
        if content_md5 is not None and content_md5 != digest:
            raise BadDigest("the Content-MD5 you specified did not match what we received")
        return data, digest

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
        data, digest = self._collect(chunks, content_md5)
        info = ObjectInfo(
            key, len(data), digest, utcnow(), content_type, dict(metadata), dict(checksums or {})
        )
        with self._lock:
            self._bucket(bucket)[key] = (info, data)
        return info

    def _get(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        with self._lock:
            found = self._bucket(bucket).get(key)
        if found is None:
            raise NoSuchKey(key)
        return found

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        return self._get(bucket, key)[0]

    def get_object(self, bucket: str, key: str) -> BytesReader:
        return BytesReader(*self._get(bucket, key))

    def read_object(self, bucket: str, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        info, data = self._get(bucket, key)
        yield from BytesReader(info, data).read(start, info.size - 1 if end is None else end)

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        info, data = self._get(bucket, key)
        return info, io.BytesIO(data)

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
        src, data = self._get(src_bucket, src_key)
        info = replace(
            src,
            key=dst_key,
            last_modified=utcnow(),
            content_type=src.content_type if content_type is None else content_type,
            metadata=dict(src.metadata if metadata is None else metadata),
        )
        with self._lock:
            self._bucket(dst_bucket)[dst_key] = (info, data)
        return info

    def delete_object(self, bucket: str, key: str) -> None:
        with self._lock:
            self._bucket(bucket).pop(key, None)

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "", limit: int = 1000
    ) -> ObjectPage:
        with self._lock:
            objects = [info for info, _ in self._bucket(bucket).values()]
        objects.sort(key=lambda o: o.key)
        keys = [o.key for o in objects]

        def fetch(cursor: str, n: int) -> list[ObjectInfo]:
            return filter_sorted(objects[bisect.bisect_right(keys, cursor) :], prefix, cursor, n)

        return list_page(fetch, prefix=prefix, delimiter=delimiter, after=after, limit=limit)

    def create_multipart_upload(
        self, bucket: str, key: str, *, content_type: str, metadata: dict[str, str]
    ) -> str:
        upload_id = uuid.uuid4().hex
        with self._lock:
            self._bucket(bucket)
            info = UploadInfo(upload_id, key, utcnow())
            self._uploads[bucket][upload_id] = _Upload(info, content_type, dict(metadata))
        return upload_id

    def _upload(self, bucket: str, key: str, upload_id: str) -> _Upload:
        with self._lock:
            upload = self._uploads.get(bucket, {}).get(upload_id)
        if upload is None or upload.info.key != key:
            raise NoSuchUpload(upload_id)
        return upload

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        chunks: Iterable[bytes],
        *,
        content_md5: str | None = None,
    ) -> PartInfo:
        upload = self._upload(bucket, key, upload_id)
        data, digest = self._collect(chunks, content_md5)
        part = PartInfo(part_number, len(data), digest, utcnow())
        with self._lock:
            upload.parts[part_number] = (part, data)
        return part

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        upload = self._upload(bucket, key, upload_id)
        with self._lock:
            chosen = check_completion(parts, {n: p for n, (p, _) in upload.parts.items()})
            data = b"".join(upload.parts[p.part_number][1] for p in chosen)
            etag = multipart_etag(p.etag for p in chosen)
            info = ObjectInfo(key, len(data), etag, utcnow(), upload.content_type, upload.metadata)
            self._bucket(bucket)[key] = (info, data)
            self._uploads[bucket].pop(upload_id, None)
        return info

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self._upload(bucket, key, upload_id)
        with self._lock:
            self._uploads[bucket].pop(upload_id, None)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[PartInfo]:
        upload = self._upload(bucket, key, upload_id)
        with self._lock:
            return [p for _, (p, _) in sorted(upload.parts.items())]

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[UploadInfo]:
        with self._lock:
            self._bucket(bucket)
            uploads = [u.info for u in self._uploads[bucket].values() if u.info.key.startswith(prefix)]
        return sorted(uploads, key=lambda u: (u.key, u.initiated))
