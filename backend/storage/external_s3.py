"""ExternalS3Engine: objects kept in any S3-compatible store through boto3.

Each Hearth bucket `name` is the external bucket `bucket_prefix + name` (so names are limited to
63 characters minus the prefix). Keys, content types, user metadata and ETags pass through
unchanged: the external store computes the same AWS ETags (md5, md5-of-md5s-N for multipart).
Bodies are spooled (memory up to 8 MiB, then a temp file) because the store needs their length.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, BinaryIO, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from backend.config import ExternalS3Settings
from backend.db.base import utcnow
from backend.storage import engine as port
from backend.storage.engine import (
    READ_BLOCK_BYTES,
    BadDigest,
    ObjectInfo,
    ObjectPage,
    PartInfo,
    StorageError,
    UploadInfo,
)
from backend.storage.multipart import list_page

SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
T = TypeVar("T")
_ERRORS: dict[str, type[StorageError]] = {
    cls.code: cls
    for cls in (
        port.NoSuchBucket,
        port.NoSuchKey,
        port.NoSuchUpload,
        port.BucketNotEmpty,
        port.InvalidPart,
        port.InvalidPartOrder,
        port.EntityTooSmall,
        port.BadDigest,
    )
}
_ERRORS |= {"404": port.NoSuchKey, "NotFound": port.NoSuchKey}


def _translated(call: Callable[[], T]) -> T:
    """Runs a boto3 call, turning the store's errors into this port's errors."""
    try:
        return call()
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        raise _ERRORS.get(code, StorageError)(f"external store: {code} {error}") from None


def _etag(value: str) -> str:
    return value.strip('"')


class ExternalReader:
    def __init__(self, engine: ExternalS3Engine, bucket: str, info: ObjectInfo) -> None:
        self.info = info
        self._engine = engine
        self._bucket = bucket

    def read(self, start: int, end: int) -> Iterator[bytes]:
        if end < start:
            return
        response = _translated(
            lambda: self._engine.client.get_object(
                Bucket=self._engine.external(self._bucket),
                Key=self.info.key,
                Range=f"bytes={start}-{end}",
                IfMatch=f'"{self.info.etag}"',
            )
        )
        body = response["Body"]
        try:
            while block := body.read(READ_BLOCK_BYTES):
                yield block
        finally:
            body.close()

    def close(self) -> None:
        pass


class ExternalS3Engine:
    def __init__(self, settings: ExternalS3Settings) -> None:
        self._prefix = settings.bucket_prefix
        self._region = settings.region
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            region_name=settings.region,
            verify=settings.verify_tls,
            config=Config(
                s3={"addressing_style": "path"}, max_pool_connections=64, retries={"max_attempts": 3}
            ),
        )

    def external(self, bucket: str) -> str:
        return self._prefix + bucket

    def create_bucket(self, bucket: str) -> None:
        params: dict[str, Any] = {"Bucket": self.external(bucket)}
        if self._region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self.client.create_bucket(**params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise StorageError(
                    f"external store refused bucket {self.external(bucket)}: {error}"
                ) from None

    def delete_bucket(self, bucket: str) -> None:
        name = self.external(bucket)
        listed = _translated(lambda: self.client.list_objects_v2(Bucket=name, MaxKeys=1))
        uploads = _translated(lambda: self.client.list_multipart_uploads(Bucket=name, MaxUploads=1))
        if listed.get("KeyCount", 0) or uploads.get("Uploads"):
            raise port.BucketNotEmpty(bucket)
        _translated(lambda: self.client.delete_bucket(Bucket=name))

    @staticmethod
    def _spool(chunks: Iterable[bytes], content_md5: str | None) -> tuple[IO[bytes], int, str]:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 (returned open)
        md5 = hashlib.md5()
        size = 0
        try:
            for chunk in chunks:
                md5.update(chunk)
                spool.write(chunk)
                size += len(chunk)
        except BaseException:
            spool.close()
            raise
        digest = md5.hexdigest()
        if content_md5 is not None and digest != content_md5:
            spool.close()
            raise BadDigest("the Content-MD5 you specified did not match what we received")
        spool.seek(0)
        return spool, size, digest

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
        spool, size, digest = self._spool(chunks, content_md5)
        with spool:
            response = _translated(
                lambda: self.client.put_object(
                    Bucket=self.external(bucket),
                    Key=key,
                    Body=spool,
                    ContentLength=size,
                    ContentType=content_type,
                    Metadata=metadata,
                )
            )
        return self._head_after(bucket, key, _etag(response["ETag"]) or digest)

    def _head_after(self, bucket: str, key: str, etag: str) -> ObjectInfo:
        info = self.head_object(bucket, key)
        return (
            info
            if info.etag == etag
            else ObjectInfo(key, info.size, etag, info.last_modified, info.content_type, info.metadata)
        )

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        response = _translated(lambda: self.client.head_object(Bucket=self.external(bucket), Key=key))
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            etag=_etag(response["ETag"]),
            last_modified=response["LastModified"],
            content_type=response.get("ContentType") or "binary/octet-stream",
            metadata=dict(response.get("Metadata") or {}),
        )

    def get_object(self, bucket: str, key: str) -> ExternalReader:
        return ExternalReader(self, bucket, self.head_object(bucket, key))

    def read_object(self, bucket: str, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        reader = self.get_object(bucket, key)
        yield from reader.read(start, reader.info.size - 1 if end is None else end)

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        reader = self.get_object(bucket, key)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 (returned open)
        for block in reader.read(0, reader.info.size - 1):
            spool.write(block)
        spool.seek(0)
        return reader.info, spool  # type: ignore[return-value]

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
        params: dict[str, Any] = {
            "Bucket": self.external(dst_bucket),
            "Key": dst_key,
            "CopySource": {"Bucket": self.external(src_bucket), "Key": src_key},
        }
        if content_type is not None or metadata is not None:
            source = self.head_object(src_bucket, src_key)
            params |= {
                "MetadataDirective": "REPLACE",
                "ContentType": source.content_type if content_type is None else content_type,
                "Metadata": source.metadata if metadata is None else metadata,
            }
        response = _translated(lambda: self.client.copy_object(**params))
        return self._head_after(dst_bucket, dst_key, _etag(response["CopyObjectResult"]["ETag"]))

    def delete_object(self, bucket: str, key: str) -> None:
        _translated(lambda: self.client.delete_object(Bucket=self.external(bucket), Key=key))

    def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "", limit: int = 1000
    ) -> ObjectPage:
        name = self.external(bucket)

        def fetch(cursor: str, n: int) -> list[ObjectInfo]:
            params: dict[str, Any] = {"Bucket": name, "Prefix": prefix, "MaxKeys": n}
            if cursor:
                params["StartAfter"] = cursor
            response = _translated(lambda: self.client.list_objects_v2(**params))
            return [
                ObjectInfo(o["Key"], int(o["Size"]), _etag(o["ETag"]), o["LastModified"])
                for o in response.get("Contents", [])
            ]

        return list_page(fetch, prefix=prefix, delimiter=delimiter, after=after, limit=limit)

    def create_multipart_upload(
        self, bucket: str, key: str, *, content_type: str, metadata: dict[str, str]
    ) -> str:
        response = _translated(
            lambda: self.client.create_multipart_upload(
                Bucket=self.external(bucket), Key=key, ContentType=content_type, Metadata=metadata
            )
        )
        return str(response["UploadId"])

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
        spool, size, digest = self._spool(chunks, content_md5)
        with spool:
            response = self._upload_call(
                bucket,
                key,
                upload_id,
                lambda: self.client.upload_part(
                    Bucket=self.external(bucket),
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=part_number,
                    Body=spool,
                    ContentLength=size,
                ),
            )

        return PartInfo(part_number, size, _etag(response["ETag"]) or digest, utcnow())

    def _upload_call(self, bucket: str, key: str, upload_id: str, call: Callable[[], T]) -> T:
        """Some stores answer a vague error for a finished upload: ask about the upload to be precise."""
        try:
            return _translated(call)
        except StorageError as error:
            if type(error) is StorageError:
                self.list_parts(bucket, key, upload_id)
            raise

    def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        numbers = [number for number, _ in parts]
        if numbers != sorted(set(numbers)):
            # Checked here so the answer does not depend on which check the external store runs first.
            raise port.InvalidPartOrder("parts must be listed in ascending order of part number")
        listed = [{"PartNumber": number, "ETag": f'"{etag.strip(chr(34))}"'} for number, etag in parts]
        response = _translated(
            lambda: self.client.complete_multipart_upload(
                Bucket=self.external(bucket), Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
            )
        )
        return self._head_after(bucket, key, _etag(response["ETag"]))

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        _translated(
            lambda: self.client.abort_multipart_upload(
                Bucket=self.external(bucket), Key=key, UploadId=upload_id
            )
        )

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[PartInfo]:
        paginator = self.client.get_paginator("list_parts")
        name = self.external(bucket)
        pages = _translated(lambda: list(paginator.paginate(Bucket=name, Key=key, UploadId=upload_id)))
        return [
            PartInfo(int(p["PartNumber"]), int(p["Size"]), _etag(p["ETag"]), p["LastModified"])
            for page in pages
            for p in page.get("Parts", [])
        ]

    def list_multipart_uploads(self, bucket: str, prefix: str = "") -> list[UploadInfo]:
        paginator = self.client.get_paginator("list_multipart_uploads")
        pages = _translated(lambda: list(paginator.paginate(Bucket=self.external(bucket), Prefix=prefix)))
        return [
            UploadInfo(u["UploadId"], u["Key"], u["Initiated"])
            for page in pages
            for u in page.get("Uploads", [])
        ]
