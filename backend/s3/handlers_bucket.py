"""Bucket operations: list, create, head, delete, versioning and location."""

from __future__ import annotations

from backend.s3.call import Call
from backend.s3.errors import S3Error
from backend.s3.names import check_bucket
from backend.s3.responses import header, send_bytes, send_xml
from backend.s3.xml import document, element, iso_time
from backend.storage.buckets import BucketTakenError


def owner_xml(call: Call) -> str:
    principal = call.principal
    return f"<Owner>{element('ID', principal.account_id)}{element('DisplayName', principal.email)}</Owner>"


async def list_buckets(call: Call) -> None:
    records = await call.run(lambda: call.ctx.buckets.list_for(call.principal.account_id))
    items = "".join(
        f"<Bucket>{element('Name', r.name)}{element('CreationDate', iso_time(r.created_at))}</Bucket>"
        for r in records
    )
    await send_xml(
        call.send,
        call.req.request_id,
        document("ListAllMyBucketsResult", f"{owner_xml(call)}<Buckets>{items}</Buckets>"),
    )


async def create_bucket(call: Call) -> None:
    name = check_bucket(call.bucket)
    # The body may hold a CreateBucketConfiguration; regions are not validated (see docs/qarnot-api.md 4.2).
    await call.small_body()

    def create() -> None:
        try:
            created = call.ctx.buckets.create(name, call.principal.account_id)
        except BucketTakenError:
            raise S3Error(
                "BucketAlreadyExists",
                "The requested bucket name is not available. Select a different name and try again.",
                bucket=name,
            ) from None
        try:
            call.ctx.storage.create_bucket(name)
        except BaseException:
            if created:
                call.ctx.buckets.delete(name)
            raise

    await call.run(create)
    await send_bytes(call.send, 200, call.req.request_id, b"", [header("location", f"/{name}")])


async def head_bucket(call: Call) -> None:
    await call.owned()
    await send_bytes(
        call.send, 200, call.req.request_id, b"", [header("x-amz-bucket-region", "us-east-1")], head=True
    )


async def delete_bucket(call: Call) -> None:
    def delete() -> None:
        call.require_owner()
        call.ctx.storage.delete_bucket(call.bucket)
        call.ctx.buckets.delete(call.bucket)

    await call.run(delete)
    await send_bytes(call.send, 204, call.req.request_id)


async def get_versioning(call: Call) -> None:
    await call.owned()
    await send_xml(call.send, call.req.request_id, document("VersioningConfiguration", ""))


async def get_location(call: Call) -> None:
    await call.owned()
    await send_xml(call.send, call.req.request_id, document("LocationConstraint", ""))
