"""RequestBody: a request's payload read from ASGI in big blocks, decoded and verified as it streams."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass

import anyio.from_thread
from starlette.types import Receive

from backend.s3 import checksums
from backend.s3.chunked import AwsChunkedDecoder
from backend.s3.errors import S3Error

BLOCK_BYTES = 1024 * 1024


class ClientGoneError(Exception):
    """The client disconnected before sending its whole body."""


@dataclass
class PayloadChecks:
    """What the payload must match, decided from the signature and headers before reading it."""

    sha256_hex: str | None = None  # the signed x-amz-content-sha256, if the payload is signed that way
    checksum_algorithm: str | None = None  # a flexible checksum, from a header or a trailer
    checksum_expected: bytes | None = None  # header value; None when it comes in the trailer
    decoded_length: int | None = None
    max_bytes: int | None = None


class RequestBody:
    def __init__(self, receive: Receive, decoder: AwsChunkedDecoder | None, checks: PayloadChecks) -> None:
        self._receive = receive
        self._decoder = decoder
        self._checks = checks
        self._ended = False
        self._prefetched: bytes | None = None
        self._read_ahead: asyncio.Future[bytes | None] | None = None
        self._sha256 = hashlib.sha256() if checks.sha256_hex else None
        algorithm = checks.checksum_algorithm
        self._checksum = checksums.ALGORITHMS[algorithm]() if algorithm else None
        self._size = 0
        self.verified_checksums: dict[str, str] = {}

    async def read_block(self) -> bytes | None:
        """The next ~1 MiB of payload, or None at the end (runs on the event loop)."""
        if self._ended:
            return None
        pieces: list[bytes] = []
        held = 0
        while held < BLOCK_BYTES:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGoneError()
            data: bytes = message.get("body", b"")
            if data:
                if self._decoder is not None:
                    for piece in self._decoder.feed(data):
                        pieces.append(piece)
                        held += len(piece)
                else:
                    pieces.append(data)
                    held += len(data)
            if not message.get("more_body", False):
                self._ended = True
                if self._decoder is not None:
                    self._decoder.finish()
                break
        if not pieces:
            return None if self._ended else b""
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    async def prefetch_small(self, content_length: int | None) -> None:
        """Reads a small body now, so the worker thread consumes it without hopping back to the loop."""
        if content_length is not None and content_length <= BLOCK_BYTES:
            blocks = []
            while (block := await self.read_block()) is not None:
                blocks.append(block)
            self._prefetched = b"".join(blocks)

    async def read_all(self, limit: int) -> bytes:
        """Whole small body, verified (XML documents)."""
        blocks = []
        while (block := await self.read_block()) is not None:
            self._update(block)
            if self._size > limit:
                raise S3Error("MaxMessageLengthExceeded", "Your request was too big.")
            blocks.append(block)
        self._verify()
        return b"".join(blocks)

    def iterate_in_thread(self) -> Iterator[bytes]:
        """Yields verified-as-it-goes payload blocks in a worker thread; raises at the end on a mismatch."""
        if self._prefetched is not None:
            if self._prefetched:
                self._update(self._prefetched)
                yield self._prefetched
        else:
            try:
                while (block := anyio.from_thread.run(self._next_block)) is not None:
                    if block:
                        self._update(block)
                        yield block
            finally:
                anyio.from_thread.run_sync(self._drop_read_ahead)
        self._verify()

    async def _next_block(self) -> bytes | None:
        """The next block, while the loop already reads the one after: network and disk overlap."""
        pending = self._read_ahead or asyncio.ensure_future(self.read_block())
        self._read_ahead = None
        block = await pending
        if block is not None:
            self._read_ahead = asyncio.ensure_future(self.read_block())
        return block

    def _drop_read_ahead(self) -> None:
        if self._read_ahead is not None:
            # Its result is unwanted (an error ended the upload); retrieve it so nothing is logged.
            self._read_ahead.add_done_callback(lambda task: task.cancelled() or task.exception())
            self._read_ahead.cancel()
            self._read_ahead = None

    def _update(self, block: bytes) -> None:
        self._size += len(block)
        if self._checks.max_bytes is not None and self._size > self._checks.max_bytes:
            raise S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
        if self._sha256 is not None:
            self._sha256.update(block)
        if self._checksum is not None:
            self._checksum.update(block)

    def _verify(self) -> None:
        checks = self._checks
        if checks.decoded_length is not None and self._size != checks.decoded_length:
            raise S3Error("IncompleteBody", "The body length does not match x-amz-decoded-content-length.")
        if self._sha256 is not None and not hmac.compare_digest(
            self._sha256.hexdigest(), str(checks.sha256_hex)
        ):
            raise S3Error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        algorithm = checks.checksum_algorithm
        if algorithm is None or self._checksum is None:
            return
        expected = checks.checksum_expected
        if expected is None:
            trailer = (
                self._decoder.trailers.get(checksums.HEADER_PREFIX + algorithm) if self._decoder else None
            )
            if trailer is None:
                raise S3Error("InvalidRequest", f"The x-amz-checksum-{algorithm} trailer is missing.")
            expected = checksums.decode_expected(algorithm, trailer)
        if self._checksum.digest() != expected:
            raise checksums.mismatch(algorithm)
        self.verified_checksums[algorithm] = base64.b64encode(expected).decode()
