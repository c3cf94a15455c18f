"""Chooses the S3 operation for a request from its method, bucket/key presence and subresources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from backend.s3 import handlers_bucket as hb
from backend.s3 import handlers_list as hl
from backend.s3 import handlers_multipart as hm
from backend.s3 import handlers_object as ho
from backend.s3.call import Call
from backend.s3.errors import S3Error
from backend.s3.names import check_bucket

Handler = Callable[[Call], Awaitable[None]]

# Subresources S3 has and we do not: answered 501 instead of being mistaken for plain reads/writes.
UNSUPPORTED = frozenset(
    [
        "accelerate",
        "acl",
        "analytics",
        "attributes",
        "cors",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "replication",
        "requestPayment",
        "restore",
        "retention",
        "select",
        "tagging",
        "torrent",
        "website",
    ]
)


def _not_implemented(what: str) -> S3Error:
    return S3Error("NotImplemented", f"{what} is not implemented by this server.")


def _method_not_allowed() -> S3Error:
    return S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.")


def choose(call: Call) -> Handler:
    req = call.req
    q = req.query
    unsupported = UNSUPPORTED.intersection(q)
    if unsupported:
        raise _not_implemented(f"The ?{sorted(unsupported)[0]} subresource")
    method = req.method
    if req.bucket is None:
        if method == "GET":
            return hb.list_buckets
        raise _method_not_allowed()
    check_bucket(req.bucket)
    if req.key is None:
        return _bucket_handler(method, q)
    return _object_handler(call, method, q)


def _bucket_handler(method: str, q: dict[str, str]) -> Handler:
    if method == "GET":
        if "versioning" in q:
            return hb.get_versioning
        if "location" in q:
            return hb.get_location
        if "versions" in q:
            return hl.list_object_versions
        if "uploads" in q:
            return hl.list_multipart_uploads
        if q.get("list-type") == "2":
            return hl.list_objects_v2
        return hl.list_objects_v1
    if method == "PUT":
        if "versioning" in q:
            raise _not_implemented("Bucket versioning")
        return hb.create_bucket
    if method == "HEAD":
        return hb.head_bucket
    if method == "DELETE":
        return hb.delete_bucket
    if method == "POST" and "delete" in q:
        return ho.delete_objects
    raise _method_not_allowed()


def _object_handler(call: Call, method: str, q: dict[str, str]) -> Handler:
    copying = call.req.header("x-amz-copy-source") is not None
    if method == "GET":
        return hm.list_parts if "uploadId" in q else ho.get_object
    if method == "HEAD":
        return partial(ho.get_object, head=True)
    if method == "PUT":
        if "uploadId" in q or "partNumber" in q:
            return hm.upload_part_copy if copying else hm.upload_part
        return ho.copy_object if copying else ho.put_object
    if method == "DELETE":
        return hm.abort_upload if "uploadId" in q else ho.delete_object
    if method == "POST":
        if "uploads" in q:
            return hm.create_upload
        if "uploadId" in q:
            return hm.complete_upload
        raise _not_implemented("This POST operation")
    raise _method_not_allowed()
