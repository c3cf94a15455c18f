"""LocalEngine: object content as files under the data dir, object metadata in the database."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import BindParameter, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from backend.db.base import utcnow
from backend.db.session import Database
from backend.storage.blobs import BlobStore
from backend.storage.engine import (
    BucketNotEmpty,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    ObjectInfo,
    ObjectPage,
    PartInfo,
    UploadInfo,
)
from backend.storage.local_reader import FileReader
from backend.storage.multipart import check_completion, list_page, multipart_etag
from backend.storage.tables import Bucket, MultipartUpload, StoredObject, UploadPart

# A Row of _OBJECT_COLUMNS (SQLAlchemy's typed Row does not survive `.first()` on a prebuilt select).
_ObjectRow = Any
_BUCKET: BindParameter[str] = bindparam("bucket")
_KEY: BindParameter[str] = bindparam("key")
_OBJECT_COLUMNS = (
    StoredObject.key,
    StoredObject.size,
    StoredObject.etag,
    StoredObject.last_modified,
    StoredObject.content_type,
    StoredObject.metadata_json,
    StoredObject.checksums_json,
    StoredObject.blob,
    StoredObject.segments_json,
)
# Hot-path statements built once: constructing SQLAlchemy statements costs more than running them.
_SELECT_OBJECT = select(*_OBJECT_COLUMNS).where(StoredObject.bucket == _BUCKET, StoredObject.key == _KEY)
_DELETE_OBJECT = (
    delete(StoredObject)
    .where(StoredObject.bucket == _BUCKET, StoredObject.key == _KEY)
    .returning(StoredObject.blob, StoredObject.segments_json)
)
_INSERT_OBJECT = insert(StoredObject)
_BUCKET_EXISTS = select(Bucket.id).where(Bucket.name == _BUCKET)


def _info(row: _ObjectRow) -> ObjectInfo:
    return ObjectInfo(
        key=row.key,
        size=row.size,
        etag=row.etag,
        last_modified=row.last_modified,
        content_type=row.content_type,
        metadata=json.loads(row.metadata_json),
        checksums=json.loads(row.checksums_json),
    )


def _segments(row: _ObjectRow) -> list[tuple[str, int]]:
    """(blob, size) of each content file of an object row, in order."""
    if row.blob:
        return [(row.blob, row.size)]
    return [(blob, size) for blob, size in json.loads(row.segments_json)]


def _blobs(rows: Iterable[_ObjectRow]) -> list[str]:
    return [
        blob
        for row in rows
        for blob in ([row.blob] if row.blob else [b for b, _ in json.loads(row.segments_json)])
    ]


class LocalEngine:
    def __init__(self, root: Path, db: Database) -> None:
        self._db = db
        self.blobs = BlobStore(root)
        self._sweep()

    def _sweep(self) -> None:
        with self._db.engine.connect() as connection:
            referenced = set(
                _blobs(connection.execute(select(StoredObject.blob, StoredObject.segments_json)))
            )
            referenced |= set(connection.scalars(select(UploadPart.blob)))
        self.blobs.sweep(referenced)

    def _require_bucket(self, bucket: str) -> None:
        with self._db.engine.connect() as connection:
            if connection.execute(_BUCKET_EXISTS, {"bucket": bucket}).first() is None:
                raise NoSuchBucket(bucket)

    def create_bucket(self, bucket: str) -> None:
        self._require_bucket(bucket)

    def delete_bucket(self, bucket: str) -> None:
        with self._db.transaction() as session:
            if (
                session.scalar(select(StoredObject.key).where(StoredObject.bucket == bucket).limit(1))
                is not None
            ):
                raise BucketNotEmpty(bucket)
            uploads = select(MultipartUpload.upload_id).where(MultipartUpload.bucket == bucket).limit(1)
            if session.scalar(uploads) is not None:
                raise BucketNotEmpty(bucket)

    def _commit_object(
        self,
        bucket: str,
        info: ObjectInfo,
        blob: str,
        *,
        segments: list[tuple[str, int]] | None = None,
        drop_upload: str | None = None,
    ) -> None:
        """Makes `blob` (or `segments`) the key's content in one transaction; deletes what it replaced."""
        values = {
            "bucket": bucket,
            "key": info.key,
            "size": info.size,
            "etag": info.etag,
            "content_type": info.content_type,
            "metadata_json": json.dumps(info.metadata),
            "checksums_json": json.dumps(info.checksums),
            "blob": blob,
            "segments_json": json.dumps(segments or []),
            "last_modified": info.last_modified,
        }
        replaced: list[str] = []
        try:
            with self._db.engine.begin() as connection:
                # Delete first: the transaction takes the write lock at once, so concurrent writers of
                # one key serialise instead of failing to upgrade a read snapshot.
                replaced = _blobs(connection.execute(_DELETE_OBJECT, {"bucket": bucket, "key": info.key}))
                connection.execute(_INSERT_OBJECT, values)
                if drop_upload is not None:
                    connection.execute(
                        delete(MultipartUpload).where(MultipartUpload.upload_id == drop_upload)
                    )
        except IntegrityError:
            if drop_upload is None:
                self.blobs.remove([blob])
            self._require_bucket(bucket)
            raise
        except BaseException:
            if drop_upload is None:
                self.blobs.remove([blob])
            raise
        self.blobs.remove(replaced)

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
        blob, size, md5 = self.blobs.write(chunks, content_md5)
        info = ObjectInfo(key, size, md5, utcnow(), content_type, dict(metadata), dict(checksums or {}))
        self._commit_object(bucket, info, blob)
        return info

    def _row(self, bucket: str, key: str) -> _ObjectRow:
        with self._db.engine.connect() as connection:
            row = connection.execute(_SELECT_OBJECT, {"bucket": bucket, "key": key}).first()
        if row is None:
            self._require_bucket(bucket)
            raise NoSuchKey(key)
        return row

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        return _info(self._row(bucket, key))

    def get_object(self, bucket: str, key: str) -> FileReader:
        for _ in range(5):
            row = self._row(bucket, key)
            try:
                return FileReader(_info(row), [(self.blobs.path(b), size) for b, size in _segments(row)])
            except FileNotFoundError:
                continue  # replaced between the query and the open: look again
        raise NoSuchKey(key)

    def read_object(self, bucket: str, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        reader = self.get_object(bucket, key)
        try:
            yield from reader.read(start, reader.info.size - 1 if end is None else end)
        finally:
            reader.close()

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        reader = self.get_object(bucket, key)
        single = reader.single_handle
        if single is not None:
            return reader.info, single
        try:
            spool = tempfile.TemporaryFile(dir=self.blobs.tmp)  # noqa: SIM115 (returned open)
            for block in reader.read(0, reader.info.size - 1):
                spool.write(block)
        finally:
            reader.close()
        spool.seek(0)
        return reader.info, spool

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
        reader = self.get_object(src_bucket, src_key)
        try:
            single = reader.single_handle
            if single is not None:
                blob = self.blobs.copy_from(single)
            else:
                blob, _, _ = self.blobs.write(reader.read(0, reader.info.size - 1))
        finally:
            reader.close()
        src = reader.info
        info = ObjectInfo(
            dst_key,
            src.size,
            src.etag,
            utcnow(),
            src.content_type if content_type is None else content_type,
            dict(src.metadata if metadata is None else metadata),
            dict(src.checksums),
        )
        self._commit_object(dst_bucket, info, blob)
        return info

    def delete_object(self, bucket: str, key: str) -> None:
        with self._db.engine.begin() as connection:
            removed = _blobs(connection.execute(_DELETE_OBJECT, {"bucket": bucket, "key": key}))
        self.blobs.remove(removed)

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "", limit: int = 1000
    ) -> ObjectPage:
        self._require_bucket(bucket)

        def fetch(cursor: str, n: int) -> list[ObjectInfo]:
            stmt = select(*_OBJECT_COLUMNS).where(StoredObject.bucket == bucket, StoredObject.key > cursor)
            if prefix:
                stmt = stmt.where(StoredObject.key >= prefix, StoredObject.key < prefix + "\U0010ffff")
            with self._db.transaction() as session:
                rows = session.execute(stmt.order_by(StoredObject.key).limit(n)).all()
            return [_info(r) for r in rows if r.key.startswith(prefix)]

        return list_page(fetch, prefix=prefix, delimiter=delimiter, after=after, limit=limit)

    def create_multipart_upload(
        self, bucket: str, key: str, *, content_type: str, metadata: dict[str, str]
    ) -> str:
        upload_id = uuid.uuid4().hex
        try:
            with self._db.transaction() as session:
                session.add(
                    MultipartUpload(
                        upload_id=upload_id,
                        bucket=bucket,
                        key=key,
                        content_type=content_type,
                        metadata_json=json.dumps(metadata),
                    )
                )
        except IntegrityError:
            raise NoSuchBucket(bucket) from None
        return upload_id

    def _upload(self, bucket: str, key: str, upload_id: str) -> MultipartUpload:
        with self._db.transaction() as session:
            upload = session.get(MultipartUpload, upload_id)
            if upload is None or upload.bucket != bucket or upload.key != key:
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
        self._upload(bucket, key, upload_id)
        # Parts are fsynced as they arrive: on completion they become the object as they are.
        blob, size, md5 = self.blobs.write(chunks, content_md5)
        now = utcnow()
        try:
            with self._db.transaction() as session:
                stmt = delete(UploadPart).where(
                    UploadPart.upload_id == upload_id, UploadPart.part_number == part_number
                )
                replaced = list(session.scalars(stmt.returning(UploadPart.blob)))
                session.add(
                    UploadPart(
                        upload_id=upload_id,
                        part_number=part_number,
                        size=size,
                        etag=md5,
                        blob=blob,
                        last_modified=now,
                    )
                )
        except IntegrityError:
            self.blobs.remove([blob])
            raise NoSuchUpload(upload_id) from None
        except BaseException:
            self.blobs.remove([blob])
            raise
        self.blobs.remove(replaced)
        return PartInfo(part_number, size, md5, now)

    def _parts(self, upload_id: str) -> list[tuple[PartInfo, str]]:
        with self._db.transaction() as session:
            rows = session.scalars(
                select(UploadPart).where(UploadPart.upload_id == upload_id).order_by(UploadPart.part_number)
            ).all()
            return [(PartInfo(r.part_number, r.size, r.etag, r.last_modified), r.blob) for r in rows]

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        upload = self._upload(bucket, key, upload_id)
        stored = self._parts(upload_id)
        blob_of = {info.part_number: blob for info, blob in stored}
        chosen = check_completion(parts, {info.part_number: info for info, _ in stored})
        segments = [(blob_of[p.part_number], p.size) for p in chosen]
        info = ObjectInfo(
            key,
            sum(p.size for p in chosen),
            multipart_etag(p.etag for p in chosen),
            utcnow(),
            upload.content_type,
            json.loads(upload.metadata_json),
        )
        # The parts become the object's segments, without a copy; the upload row goes in the same
        # transaction as the object row (its part rows cascade), so a crash leaves one or the other.
        self._commit_object(bucket, info, "", segments=segments, drop_upload=upload_id)
        used = {blob for blob, _ in segments}
        self.blobs.remove(blob for blob in blob_of.values() if blob not in used)
        return info

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self._upload(bucket, key, upload_id)
        blobs = [blob for _, blob in self._parts(upload_id)]
        with self._db.transaction() as session:
            session.execute(delete(MultipartUpload).where(MultipartUpload.upload_id == upload_id))
        self.blobs.remove(blobs)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[PartInfo]:
        self._upload(bucket, key, upload_id)
        return [info for info, _ in self._parts(upload_id)]

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[UploadInfo]:
        self._require_bucket(bucket)
        with self._db.transaction() as session:
            rows = session.scalars(
                select(MultipartUpload)
                .where(MultipartUpload.bucket == bucket)
                .order_by(MultipartUpload.key, MultipartUpload.initiated)
            ).all()
            return [UploadInfo(r.upload_id, r.key, r.initiated) for r in rows if r.key.startswith(prefix)]
