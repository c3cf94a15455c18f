"""Multipart upload operations: create, upload part (and part copy), complete, abort, list parts."""

from __future__ import annotations

from collections.abc import Iterator

from backend.s3.auth import request_body
from backend.s3.call import Call
from backend.s3.conditions import byte_range, check_preconditions
from backend.s3.errors import S3Error
from backend.s3.handlers_bucket import owner_xml
from backend.s3.handlers_object import copy_source
from backend.s3.names import check_key
from backend.s3.objects_common import MAX_OBJECT_BYTES, content_md5, content_type, user_metadata
from backend.s3.responses import header, quoted_etag, send_bytes, send_xml
from backend.s3.xml import child_text, document, element, iso_time, parse
from backend.storage.engine import MAX_PART_NUMBER, PartInfo


def _upload_id(call: Call) -> str:
    upload_id = call.req.query.get("uploadId", "")
    if not upload_id:
        raise S3Error("InvalidArgument", "uploadId must not be empty.")
    return upload_id


def _part_number(call: Call) -> int:
    try:
        number = int(call.req.query.get("partNumber", ""))
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PART_NUMBER:
        raise S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
    return number


async def create_upload(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    ctype, metadata = content_type(call.req), user_metadata(call.req)

    def create() -> str:
        call.require_owner()
        return call.ctx.storage.create_multipart_upload(
            call.bucket, key, content_type=ctype, metadata=metadata
        )

    upload_id = await call.run(create)
    body = element("Bucket", call.bucket) + element("Key", key) + element("UploadId", upload_id)
    await send_xml(call.send, call.req.request_id, document("InitiateMultipartUploadResult", body))


async def upload_part(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    upload_id, number, md5 = _upload_id(call), _part_number(call), content_md5(call.req)
    body, length = request_body(call.req, call.auth, call.receive, max_bytes=MAX_OBJECT_BYTES)
    await body.prefetch_small(length)

    def store() -> PartInfo:
        call.require_owner()
        return call.ctx.storage.upload_part(
            call.bucket, key, upload_id, number, body.iterate_in_thread(), content_md5=md5
        )

    part = await call.run(store)
    headers = [header("etag", quoted_etag(part.etag))]
    headers += [header(f"x-amz-checksum-{alg}", value) for alg, value in body.verified_checksums.items()]
    await send_bytes(call.send, 200, call.req.request_id, b"", headers)


async def upload_part_copy(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    upload_id, number = _upload_id(call), _part_number(call)
    src_bucket, src_key = copy_source(call)

    def copy() -> PartInfo:
        call.require_owner(src_bucket)
        call.require_owner()
        reader = call.ctx.storage.get_object(src_bucket, src_key)
        try:
            check_preconditions(call.req, reader.info, "x-amz-copy-source-")
            span = byte_range(call.req.header("x-amz-copy-source-range"), reader.info.size)
            first, last = span or (0, reader.info.size - 1)
            blocks: Iterator[bytes] = reader.read(first, last)
            return call.ctx.storage.upload_part(call.bucket, key, upload_id, number, blocks)
        finally:
            reader.close()

    part = await call.run(copy)
    body = element("LastModified", iso_time(part.last_modified)) + element("ETag", quoted_etag(part.etag))
    await send_xml(call.send, call.req.request_id, document("CopyPartResult", body))


async def complete_upload(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    upload_id = _upload_id(call)
    # Its x-amz-checksum-* header (if any) is the whole object's, not this XML body's.
    root = parse(await call.small_body(header_checksum=False))
    if root.tag != "CompleteMultipartUpload":
        raise S3Error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our schema."
        )
    parts: list[tuple[int, str]] = []
    for node in root.findall("Part"):
        try:
            parts.append(
                (int(child_text(node, "PartNumber") or ""), (child_text(node, "ETag") or "").strip())
            )
        except ValueError:
            raise S3Error("MalformedXML", "Each Part needs an integer PartNumber.") from None

    def complete() -> str:
        call.require_owner()
        return call.ctx.storage.complete_multipart_upload(call.bucket, key, upload_id, parts).etag

    etag = await call.run(complete)
    location = f"{call.ctx.storage_url}/{call.bucket}/{key}"
    body = element("Location", location) + element("Bucket", call.bucket) + element("Key", key)
    body += element("ETag", quoted_etag(etag))
    await send_xml(call.send, call.req.request_id, document("CompleteMultipartUploadResult", body))


async def abort_upload(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    upload_id = _upload_id(call)

    def abort() -> None:
        call.require_owner()
        call.ctx.storage.abort_multipart_upload(call.bucket, key, upload_id)

    await call.run(abort)
    await send_bytes(call.send, 204, call.req.request_id)


async def list_parts(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    upload_id = _upload_id(call)
    try:
        marker = int(call.req.query.get("part-number-marker", "0") or 0)
        limit = min(int(call.req.query.get("max-parts", "1000") or 1000), 1000)
    except ValueError:
        raise S3Error("InvalidArgument", "part-number-marker and max-parts must be integers.") from None

    def fetch() -> list[PartInfo]:
        call.require_owner()
        return call.ctx.storage.list_parts(call.bucket, key, upload_id)

    parts = [p for p in await call.run(fetch) if p.part_number > marker]
    truncated = len(parts) > limit
    parts = parts[:limit]
    owner = owner_xml(call)
    body = element("Bucket", call.bucket) + element("Key", key) + element("UploadId", upload_id)
    body += owner.replace("Owner>", "Initiator>") + owner + "<StorageClass>STANDARD</StorageClass>"
    body += (
        element("PartNumberMarker", marker)
        + element("MaxParts", limit)
        + element("IsTruncated", str(truncated).lower())
    )
    if parts:
        body += element("NextPartNumberMarker", parts[-1].part_number)
    for p in parts:
        body += f"<Part>{element('PartNumber', p.part_number)}"
        body += element("LastModified", iso_time(p.last_modified))
        body += f"{element('ETag', quoted_etag(p.etag))}{element('Size', p.size)}</Part>"
    await send_xml(call.send, call.req.request_id, document("ListPartsResult", body))
