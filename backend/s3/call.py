"""Call: everything one S3 operation needs (farm services, the parsed request, the ASGI channels)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio.to_thread
from starlette.types import Receive, Send

from backend.accounts.service import Principal
from backend.context import FarmContext
from backend.s3.auth import Authenticated, request_body
from backend.s3.errors import S3Error
from backend.s3.request import S3Request

T = TypeVar("T")
MAX_XML_REQUEST_BYTES = 2 * 1024 * 1024


@dataclass
class Call:
    ctx: FarmContext
    req: S3Request
    auth: Authenticated
    receive: Receive
    send: Send

    @property
    def principal(self) -> Principal:
        return self.auth.principal

    @property
    def bucket(self) -> str:
        assert self.req.bucket is not None
        return self.req.bucket

    @property
    def key(self) -> str:
        assert self.req.key is not None
        return self.req.key

    async def run(self, fn: Callable[[], T]) -> T:
        """Blocking storage or database work, in a worker thread."""
        return await anyio.to_thread.run_sync(fn)

    def require_owner(self, bucket: str | None = None) -> None:
        """Blocking: the caller must own the bucket (404 if it does not exist, 403 if it is another's)."""
        name = bucket or self.bucket
        owner = self.ctx.buckets.owner_of(name)
        if owner is None:
            raise S3Error("NoSuchBucket", "The specified bucket does not exist", bucket=name)
        if owner != self.principal.account_id:
            raise S3Error(
                "AccessDenied", "Access Denied: the bucket belongs to another account.", bucket=name
            )

    async def owned(self, bucket: str | None = None) -> None:
        await self.run(lambda: self.require_owner(bucket))

    async def small_body(self, *, header_checksum: bool = True) -> bytes:
        body, _ = request_body(self.req, self.auth, self.receive, header_checksum=header_checksum)
        return await body.read_all(MAX_XML_REQUEST_BYTES)
