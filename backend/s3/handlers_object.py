"""Object operations: put, get, head, copy, delete and multi-object delete."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from urllib.parse import unquote

from backend.s3.auth import request_body
from backend.s3.call import Call
from backend.s3.conditions import byte_range, check_preconditions
from backend.s3.errors import S3Error
from backend.s3.names import check_bucket, check_key
from backend.s3.objects_common import (
    MAX_OBJECT_BYTES,
    content_md5,
    content_type,
    object_headers,
    user_metadata,
)
from backend.s3.responses import Headers, header, quoted_etag, send_bytes, send_stream, send_xml
from backend.s3.xml import child_text, document, element, iso_time, parse
from backend.storage.engine import ObjectReader

MAX_DELETE_KEYS = 1000


async def put_object(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    md5, ctype, metadata = content_md5(call.req), content_type(call.req), user_metadata(call.req)
    body, length = request_body(call.req, call.auth, call.receive, max_bytes=MAX_OBJECT_BYTES)
    await body.prefetch_small(length)

    def store() -> Headers:
        call.require_owner()
        info = call.ctx.storage.put_object(
            call.bucket,
            key,
            body.iterate_in_thread(),
            content_type=ctype,
            metadata=metadata,
            content_md5=md5,
            checksums=body.verified_checksums,
        )
        return [header("etag", quoted_etag(info.etag))] + [
            header(f"x-amz-checksum-{alg}", value) for alg, value in body.verified_checksums.items()
        ]

    await send_bytes(call.send, 200, call.req.request_id, b"", await call.run(store))


async def get_object(call: Call, *, head: bool = False) -> None:
    key = check_key(call.key, call.bucket)

    def open_reader() -> tuple[ObjectReader, tuple[int, int] | None, Iterator[bytes] | None, bytes]:
        call.require_owner()
        reader = call.ctx.storage.get_object(call.bucket, key)
        try:
            check_preconditions(call.req, reader.info)
            span = byte_range(call.req.header("range"), reader.info.size)
            first, last = span or (0, reader.info.size - 1)
            blocks = None if head else reader.read(first, last)
            first_block = b"" if blocks is None else next(blocks, b"")
            if blocks is None or len(first_block) >= last - first + 1:
                # Everything is in hand: close here, as closing files on the event loop stalls it.
                reader.close()
                blocks = None
            return reader, span, blocks, first_block
        except BaseException:
            reader.close()
            raise

    reader, span, blocks, first_block = await call.run(open_reader)
    try:
        info = reader.info
        headers = object_headers(call.req, info, with_checksums=span is None)
        status = 200
        length = info.size
        if span is not None:
            status, length = 206, span[1] - span[0] + 1
            headers.append(header("content-range", f"bytes {span[0]}-{span[1]}/{info.size}"))
        headers.append(header("content-length", length))
        if blocks is None:
            await send_bytes(call.send, status, call.req.request_id, first_block, headers, head=head)
            return

        async def stream() -> AsyncIterator[bytes]:
            yield first_block
            assert blocks is not None
            while (block := await call.run(lambda: next(blocks, None))) is not None:
                yield block

        await send_stream(call.send, status, call.req.request_id, headers, stream())
    finally:
        if blocks is not None:
            await call.run(reader.close)


def copy_source(call: Call) -> tuple[str, str]:
    raw = call.req.header("x-amz-copy-source") or ""
    path, _, version = unquote(raw).lstrip("/").partition("?")
    bucket, _, key = path.partition("/")
    if version and version not in ("versionId=null", ""):
        raise S3Error("NoSuchVersion", "The specified version does not exist.")
    if not bucket or not key:
        raise S3Error(
            "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
        )
    return check_bucket(bucket), check_key(key, bucket)


async def copy_object(call: Call) -> None:
    key = check_key(call.key, call.bucket)
    src_bucket, src_key = copy_source(call)
    directive = (call.req.header("x-amz-metadata-directive") or "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise S3Error("InvalidArgument", "Unknown metadata directive.")
    replace = directive == "REPLACE"
    new_type, new_meta = (content_type(call.req), user_metadata(call.req)) if replace else (None, None)

    def copy() -> tuple[str, str]:
        call.require_owner(src_bucket)
        call.require_owner()
        if (src_bucket, src_key) == (call.bucket, key) and not replace:
            raise S3Error(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself"
                " without changing the object's metadata, storage class, website redirect location"
                " or encryption attributes.",
            )
        source = call.ctx.storage.head_object(src_bucket, src_key)
        check_preconditions(call.req, source, "x-amz-copy-source-")
        info = call.ctx.storage.copy_object(
            src_bucket, src_key, call.bucket, key, content_type=new_type, metadata=new_meta
        )
        return info.etag, iso_time(info.last_modified)

    etag, modified = await call.run(copy)
    body = element("LastModified", modified) + element("ETag", quoted_etag(etag))
    await send_xml(call.send, call.req.request_id, document("CopyObjectResult", body))


async def delete_object(call: Call) -> None:
    key = check_key(call.key, call.bucket)

    def delete() -> None:
        call.require_owner()
        call.ctx.storage.delete_object(call.bucket, key)

    await call.run(delete)
    await send_bytes(call.send, 204, call.req.request_id)


async def delete_objects(call: Call) -> None:
    expected_md5 = content_md5(call.req)
    raw = await call.small_body()
    if expected_md5 is not None and hashlib.md5(raw).hexdigest() != expected_md5:
        raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.")
    root = parse(raw)
    quiet = (child_text(root, "Quiet") or "").strip().lower() == "true"
    entries = root.findall("Object")
    if root.tag != "Delete" or not entries or len(entries) > MAX_DELETE_KEYS:
        raise S3Error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our schema."
        )
    keys = [child_text(entry, "Key") or "" for entry in entries]

    def delete() -> str:
        call.require_owner()
        out = []
        for key in keys:
            try:
                check_key(key)
            except S3Error as error:
                out.append(
                    f"<Error>{element('Key', key)}{element('Code', error.code)}"
                    f"{element('Message', error.message)}</Error>"
                )
                continue
            call.ctx.storage.delete_object(call.bucket, key)
            if not quiet:
                out.append(f"<Deleted>{element('Key', key)}</Deleted>")
        return "".join(out)

    await send_xml(call.send, call.req.request_id, document("DeleteResult", await call.run(delete)))
