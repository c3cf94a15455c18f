"""Decoder for aws-chunked request bodies, checking chunk and trailer signatures as they stream."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from backend.s3.errors import S3Error
from backend.s3.sigv4 import EMPTY_SHA256, sign

MAX_CHUNK_HEADER_BYTES = 4096
MAX_TRAILER_BYTES = 16 * 1024
_HEADER, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


@dataclass(frozen=True)
class ChunkSigner:
    """What a signed aws-chunked stream needs to check its chain of chunk signatures."""

    key: bytes
    amz_date: str
    scope: str
    seed_signature: str

    def chunk(self, previous: str, data_sha256: str) -> str:
        fields = ("AWS4-HMAC-SHA256-PAYLOAD", self.amz_date, self.scope, previous, EMPTY_SHA256, data_sha256)
        return sign(self.key, "\n".join(fields))

    def trailer(self, previous: str, trailer_lines: str) -> str:
        digest = hashlib.sha256(trailer_lines.encode()).hexdigest()
        return sign(
            self.key, f"AWS4-HMAC-SHA256-TRAILER\n{self.amz_date}\n{self.scope}\n{previous}\n{digest}"
        )


def _malformed(why: str) -> S3Error:
    return S3Error("IncompleteBody", f"The aws-chunked body is malformed: {why}.")


class AwsChunkedDecoder:
    """Feed raw body bytes, get payload bytes; `finish()` checks the stream ended properly.

    Payload is handed out before its chunk signature is checked (the chunk may span many reads);
    a bad signature raises before the end of the body, so the engine never commits that object.
    """

    def __init__(self, signer: ChunkSigner | None, expects_trailer: bool) -> None:
        self._signer = signer
        self._expects_trailer = expects_trailer
        self._previous = signer.seed_signature if signer else ""
        self._buf = bytearray()
        self._state = _HEADER
        self._remaining = 0
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256() if signer else None
        self.trailers: dict[str, str] = {}
        self._trailer_lines: list[str] = []
        self._trailer_signed = False

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        pos = 0
        while True:
            if self._state == _DATA:
                take = min(self._remaining, len(buf) - pos)
                if take == 0:
                    break
                piece = bytes(buf[pos : pos + take])
                if self._chunk_hash is not None:
                    self._chunk_hash.update(piece)
                out.append(piece)
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = _DATA_END
                continue
            end = buf.find(b"\r\n", pos)
            if end < 0:
                if len(buf) - pos > MAX_TRAILER_BYTES:
                    raise _malformed("a chunk header or trailer is too long")
                break
            line = bytes(buf[pos:end]).decode("latin-1")
            pos = end + 2
            if self._state == _HEADER:
                self._start_chunk(line)
            elif self._state == _DATA_END:
                if line:
                    raise _malformed("chunk data is longer than its declared size")
                self._end_chunk()
            elif self._state == _TRAILER:
                self._trailer_line(line)
            else:
                raise _malformed("data follows the end of the stream")
        del buf[:pos]
        return out

    def _start_chunk(self, line: str) -> None:
        size_text, _, extension = line.partition(";")
        try:
            self._remaining = int(size_text, 16)
        except ValueError:
            raise _malformed("bad chunk size") from None
        if self._signer is not None:
            name, _, value = extension.partition("=")
            if name.strip() != "chunk-signature" or not value:
                raise S3Error("SignatureDoesNotMatch", "A chunk of a signed stream has no chunk-signature.")
            self._chunk_signature = value.strip()
        self._state = _DATA if self._remaining else _DATA_END
        if self._remaining == 0:
            # The final, empty chunk: its signature is checked now, then trailers or a blank line follow.
            self._end_chunk()
            self._state = _TRAILER

    def _end_chunk(self) -> None:
        if self._signer is not None and self._chunk_hash is not None:
            expected = self._signer.chunk(self._previous, self._chunk_hash.hexdigest())
            if not hmac.compare_digest(expected, self._chunk_signature.lower()):
                raise S3Error("SignatureDoesNotMatch", "A chunk signature does not match the chunk.")
            self._previous = expected
            self._chunk_hash = hashlib.sha256()
        if self._state == _DATA_END:
            self._state = _HEADER

    def _trailer_line(self, line: str) -> None:
        if not line:
            self._state = _DONE
            return
        name, sep, value = line.partition(":")
        if not sep:
            raise _malformed("bad trailer line")
        name = name.strip().lower()
        if name == "x-amz-trailer-signature":
            if self._signer is not None:
                expected = self._signer.trailer(self._previous, "".join(self._trailer_lines))
                if not hmac.compare_digest(expected, value.strip().lower()):
                    raise S3Error("SignatureDoesNotMatch", "The trailer signature does not match.")
                self._trailer_signed = True
            return
        self._trailer_lines.append(f"{name}:{value.strip()}\n")
        self.trailers[name] = value.strip()

    def finish(self) -> None:
        if self._state == _TRAILER and not self._buf:
            # Some clients end the stream right after the last trailer line, without a blank line.
            self._state = _DONE
        if self._state != _DONE:
            raise S3Error(
                "IncompleteBody", "The request body ended before the aws-chunked stream was complete."
            )
        if self._signer is not None and self._expects_trailer and not self._trailer_signed:
            raise S3Error("SignatureDoesNotMatch", "The trailer is not signed.")
