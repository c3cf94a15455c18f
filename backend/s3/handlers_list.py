"""Listing operations: ListObjects v1 and v2, ListObjectVersions and ListMultipartUploads."""

from __future__ import annotations

import base64
import binascii

from backend.s3.call import Call
from backend.s3.errors import S3Error
from backend.s3.handlers_bucket import owner_xml
from backend.s3.responses import quoted_etag, send_xml
from backend.s3.xml import document, element, iso_time, optional, url_encoded
from backend.storage.engine import ObjectInfo, ObjectPage

MAX_KEYS = 1000


def _max_keys(call: Call, name: str = "max-keys") -> int:
    raw = call.req.query.get(name)
    if raw is None:
        return MAX_KEYS
    try:
        value = int(raw)
    except ValueError:
        raise S3Error("InvalidArgument", f"{name} must be an integer between 0 and 2147483647.") from None
    if value < 0:
        raise S3Error("InvalidArgument", f"{name} must not be negative.")
    return min(value, MAX_KEYS)


def _encoding(call: Call) -> bool:
    value = call.req.query.get("encoding-type")
    if value is None:
        return False
    if value != "url":
        raise S3Error("InvalidArgument", "Invalid Encoding Method specified in Request")
    return True


async def _page(call: Call, prefix: str, delimiter: str, after: str, limit: int) -> ObjectPage:
    def fetch() -> ObjectPage:
        call.require_owner()
        if limit == 0:
            return ObjectPage([], [], False, None)
        return call.ctx.storage.list_objects(
            call.bucket, prefix=prefix, delimiter=delimiter, after=after, limit=limit
        )

    return await call.run(fetch)


def _contents(tag: str, objects: list[ObjectInfo], encode: bool, owner: str, extra: str = "") -> str:
    return "".join(
        f"<{tag}>{element('Key', url_encoded(o.key, encode))}{extra}"
        f"{element('LastModified', iso_time(o.last_modified))}{element('ETag', quoted_etag(o.etag))}"
        f"{element('Size', o.size)}<StorageClass>STANDARD</StorageClass>{owner}</{tag}>"
        for o in objects
    )


def _prefixes(page: ObjectPage, encode: bool) -> str:
    return "".join(
        f"<CommonPrefixes>{element('Prefix', url_encoded(p, encode))}</CommonPrefixes>"
        for p in page.common_prefixes
    )


def _common_head(call: Call, prefix: str, delimiter: str, limit: int, encode: bool) -> str:
    head = element("Name", call.bucket) + element("Prefix", url_encoded(prefix, encode))
    return head + element("MaxKeys", limit) + optional("Delimiter", url_encoded(delimiter, encode))


async def list_objects_v1(call: Call) -> None:
    q = call.req.query
    encode, limit = _encoding(call), _max_keys(call)
    prefix, delimiter, marker = q.get("prefix", ""), q.get("delimiter", ""), q.get("marker", "")
    page = await _page(call, prefix, delimiter, marker, limit)
    body = _common_head(call, prefix, delimiter, limit, encode) + element(
        "Marker", url_encoded(marker, encode)
    )
    body += element("IsTruncated", str(page.is_truncated).lower())
    if page.is_truncated and page.next_marker is not None:
        body += element("NextMarker", url_encoded(page.next_marker, encode))
    body += _contents("Contents", page.objects, encode, owner_xml(call)) + _prefixes(page, encode)
    body += "<EncodingType>url</EncodingType>" if encode else ""
    await send_xml(call.send, call.req.request_id, document("ListBucketResult", body))


def _token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode()).decode()


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect") from None


async def list_objects_v2(call: Call) -> None:
    q = call.req.query
    encode, limit = _encoding(call), _max_keys(call)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    token, start_after = q.get("continuation-token"), q.get("start-after", "")
    after = _untoken(token) if token is not None else start_after
    page = await _page(call, prefix, delimiter, after, limit)
    owner = owner_xml(call) if q.get("fetch-owner") == "true" else ""
    body = _common_head(call, prefix, delimiter, limit, encode)
    body += element("KeyCount", len(page.objects) + len(page.common_prefixes))
    body += element("IsTruncated", str(page.is_truncated).lower())
    body += optional("ContinuationToken", token) + optional("StartAfter", url_encoded(start_after, encode))
    if page.is_truncated and page.next_marker is not None:
        body += element("NextContinuationToken", _token(page.next_marker))
    body += _contents("Contents", page.objects, encode, owner) + _prefixes(page, encode)
    body += "<EncodingType>url</EncodingType>" if encode else ""
    await send_xml(call.send, call.req.request_id, document("ListBucketResult", body))


async def list_object_versions(call: Call) -> None:
    """An unversioned bucket: every object once, as its only ('null') version."""
    q = call.req.query
    encode, limit = _encoding(call), _max_keys(call)
    prefix, delimiter, marker = q.get("prefix", ""), q.get("delimiter", ""), q.get("key-marker", "")
    page = await _page(call, prefix, delimiter, marker, limit)
    body = _common_head(call, prefix, delimiter, limit, encode)
    body += element("KeyMarker", url_encoded(marker, encode)) + element(
        "VersionIdMarker", q.get("version-id-marker", "")
    )
    body += element("IsTruncated", str(page.is_truncated).lower())
    if page.is_truncated and page.next_marker is not None:
        body += element("NextKeyMarker", url_encoded(page.next_marker, encode)) + element(
            "NextVersionIdMarker", "null"
        )
    extra = "<VersionId>null</VersionId><IsLatest>true</IsLatest>"
    body += _contents("Version", page.objects, encode, owner_xml(call), extra) + _prefixes(page, encode)
    body += "<EncodingType>url</EncodingType>" if encode else ""
    await send_xml(call.send, call.req.request_id, document("ListVersionsResult", body))


async def list_multipart_uploads(call: Call) -> None:
    q = call.req.query
    encode, limit = _encoding(call), _max_keys(call, "max-uploads")
    prefix = q.get("prefix", "")

    def fetch() -> list[tuple[str, str, str]]:
        call.require_owner()
        uploads = call.ctx.storage.list_multipart_uploads(call.bucket, prefix)
        return [(u.key, u.upload_id, iso_time(u.initiated)) for u in uploads]

    uploads = await call.run(fetch)
    truncated = len(uploads) > limit
    uploads = uploads[:limit]
    owner = owner_xml(call)
    initiator = owner.replace("Owner>", "Initiator>")
    body = element("Bucket", call.bucket) + element("KeyMarker", "") + element("UploadIdMarker", "")
    body += element("Prefix", url_encoded(prefix, encode)) + element("MaxUploads", limit)
    body += element("IsTruncated", str(truncated).lower())
    if truncated and uploads:
        body += element("NextKeyMarker", url_encoded(uploads[-1][0], encode)) + element(
            "NextUploadIdMarker", uploads[-1][1]
        )
    for key, upload_id, initiated in uploads:
        body += f"<Upload>{element('Key', url_encoded(key, encode))}{element('UploadId', upload_id)}"
        body += initiator + owner
        body += f"<StorageClass>STANDARD</StorageClass>{element('Initiated', initiated)}</Upload>"
    body += "<EncodingType>url</EncodingType>" if encode else ""
    await send_xml(call.send, call.req.request_id, document("ListMultipartUploadsResult", body))
