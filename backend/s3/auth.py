"""Authenticates an S3 request (SigV4 header or presigned query) and plans how to verify its payload."""

from __future__ import annotations

import re
import time
from calendar import timegm
from dataclasses import dataclass

from starlette.types import Receive

from backend.accounts.service import AccountService, Principal
from backend.s3 import checksums, sigv2, sigv4
from backend.s3.body import PayloadChecks, RequestBody
from backend.s3.chunked import AwsChunkedDecoder, ChunkSigner
from backend.s3.errors import S3Error
from backend.s3.request import S3Request

MAX_SKEW_S = 15 * 60
MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_STREAMING = {sigv4.STREAMING_SIGNED, sigv4.STREAMING_SIGNED_TRAILER, sigv4.STREAMING_UNSIGNED_TRAILER}


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    payload: str  # the x-amz-content-sha256 value (a hex digest or one of the sigv4 constants)
    chunk_signer: ChunkSigner


def _epoch(amz_date: str) -> int:
    """Seconds since the epoch of an ISO 8601 basic UTC time (20261122T050000Z); strptime is slow."""
    try:
        if len(amz_date) != 16 or amz_date[8] != "T" or amz_date[15] != "Z":
            raise ValueError(amz_date)
        fields = (
            amz_date[0:4],
            amz_date[4:6],
            amz_date[6:8],
            amz_date[9:11],
            amz_date[11:13],
            amz_date[13:15],
        )
        year, month, day, hour, minute, second = (int(f) for f in fields)
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
            raise ValueError(amz_date)
        return timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except ValueError:
        raise S3Error("AccessDenied", "X-Amz-Date is not a valid date (expected YYYYMMDDTHHMMSSZ).") from None


def _signature_input(req: S3Request, now: float) -> tuple[sigv4.SignatureInput, str]:
    """The claimed signature and the payload hash it covers; checks time windows."""
    authorization = req.header("authorization")
    if authorization is not None:
        amz_date = req.header("x-amz-date") or ""
        sig = sigv4.parse_authorization(authorization, amz_date)
        if abs(now - _epoch(amz_date)) > MAX_SKEW_S:
            raise S3Error(
                "RequestTimeTooSkewed",
                "The difference between the request time and the server's time is too large.",
            )
        payload = req.header("x-amz-content-sha256")
        if payload is None:
            raise S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        return sig, payload
    query = req.query
    if query.get("X-Amz-Algorithm") is not None:
        if query["X-Amz-Algorithm"] != sigv4.ALGORITHM:
            raise S3Error("InvalidArgument", "Only AWS4-HMAC-SHA256 presigned URLs are supported.")
        try:
            sig = sigv4.SignatureInput(
                sigv4.parse_credential(query["X-Amz-Credential"]),
                query["X-Amz-SignedHeaders"].split(";"),
                query["X-Amz-Signature"],
                query["X-Amz-Date"],
                presigned=True,
            )
            expires = int(query["X-Amz-Expires"])
        except (KeyError, ValueError):
            raise S3Error(
                "AuthorizationQueryParametersError", "The presigned URL is missing parameters."
            ) from None
        if not 0 < expires <= MAX_PRESIGN_EXPIRES_S:
            raise S3Error(
                "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 s and 7 days."
            )
        signed_at = _epoch(sig.amz_date)
        if now > signed_at + expires:
            raise S3Error("AccessDenied", "Request has expired")
        if signed_at - now > MAX_SKEW_S:
            raise S3Error("AccessDenied", "Request is not valid yet")
        return sig, query.get("X-Amz-Content-Sha256", sigv4.UNSIGNED_PAYLOAD)
    raise S3Error(
        "AccessDenied", "Anonymous access is not allowed; sign requests with your e-mail and API token."
    )


def _authenticate_v2(req: S3Request, accounts: AccountService, now: float) -> Authenticated:
    if now > sigv2.expires_at(req.query):
        raise S3Error("AccessDenied", "Request has expired")
    principal, secrets = accounts.s3_credentials(req.query["AWSAccessKeyId"])
    if principal is None or not secrets:
        raise S3Error(
            "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    # botocore signs the path below the endpoint ("/bucket/key"); other clients may sign the full path.
    signed = [
        sigv2.string_to_sign(req.method, path, req.raw_query, req.headers, req.query["Expires"])
        for path in (req.relative_path, req.raw_path)
    ]
    if not any(sigv2.check(secrets, to_sign, req.query["Signature"]) for to_sign in signed):
        raise S3Error("SignatureDoesNotMatch", "The presigned URL's signature does not match.")
    # No chunk signatures can follow a V2 signature: the signer is never used.
    return Authenticated(principal, sigv4.UNSIGNED_PAYLOAD, ChunkSigner(b"", "", "", ""))


def authenticate(req: S3Request, accounts: AccountService, now: float | None = None) -> Authenticated:
    now = time.time() if now is None else now
    if req.header("authorization") is None and sigv2.is_presigned_v2(req.query):
        return _authenticate_v2(req, accounts, now)
    sig, payload = _signature_input(req, now)
    if "host" not in sig.signed_headers:
        raise S3Error("AccessDenied", "The host header must be signed.")
    principal, secrets = accounts.s3_credentials(sig.credential.access_key)
    if principal is None or not secrets:
        raise S3Error(
            "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    canonical = sigv4.canonical_request(
        req.method, req.raw_path, req.raw_query, headers=req.headers, sig=sig, payload=payload
    )
    to_sign = sigv4.string_to_sign(sig.amz_date, sig.credential.scope, canonical)
    key = sigv4.matching_key(secrets, sig.credential, to_sign, sig.signature)
    if key is None:
        raise S3Error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided."
            " Check your key and signing method.",
        )
    signer = ChunkSigner(key, sig.amz_date, sig.credential.scope, sig.signature.lower())
    return Authenticated(principal, payload, signer)


def _int_header(req: S3Request, name: str) -> int | None:
    value = req.header(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise S3Error("InvalidArgument", f"{name} must be an integer.") from None
    if number < 0:
        raise S3Error("InvalidArgument", f"{name} must not be negative.")
    return number


def _header_checksum(req: S3Request) -> tuple[str | None, bytes | None]:
    found = [(checksums.algorithm_of(n), v[0]) for n, v in req.headers.items() if checksums.algorithm_of(n)]
    if len(found) > 1:
        raise S3Error(
            "InvalidRequest",
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )
    if not found:
        return None, None
    algorithm, value = found[0]
    assert algorithm is not None
    return algorithm, checksums.decode_expected(algorithm, value)


def request_body(
    req: S3Request,
    auth: Authenticated,
    receive: Receive,
    max_bytes: int | None = None,
    *,
    header_checksum: bool = True,
) -> tuple[RequestBody, int | None]:
    """The body reader for this request and its decoded length when known.

    `header_checksum=False` for requests whose x-amz-checksum-* header describes something else
    than their body (CompleteMultipartUpload: the whole object).
    """
    payload = auth.payload
    content_length = _int_header(req, "content-length")
    checks = PayloadChecks(max_bytes=max_bytes)
    decoder: AwsChunkedDecoder | None = None
    if payload in _STREAMING:
        signed = payload != sigv4.STREAMING_UNSIGNED_TRAILER
        with_trailer = payload != sigv4.STREAMING_SIGNED
        decoder = AwsChunkedDecoder(auth.chunk_signer if signed else None, with_trailer)
        checks.decoded_length = _int_header(req, "x-amz-decoded-content-length")
        trailer = (req.header("x-amz-trailer") or "").strip().lower()
        if with_trailer and trailer:
            algorithm = checksums.algorithm_of(trailer)
            if algorithm is None:
                raise S3Error("InvalidRequest", f"The trailer {trailer} is not a supported checksum.")
            checks.checksum_algorithm = algorithm
        length = checks.decoded_length
    else:
        if payload != sigv4.UNSIGNED_PAYLOAD:
            if not _SHA256_HEX.match(payload):
                raise S3Error(
                    "InvalidArgument", "x-amz-content-sha256 must be a hex SHA-256 or a known constant."
                )
            checks.sha256_hex = payload
        length = content_length
    if checks.checksum_algorithm is None and header_checksum:
        checks.checksum_algorithm, checks.checksum_expected = _header_checksum(req)
    if max_bytes is not None and length is not None and length > max_bytes:
        raise S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
    return RequestBody(receive, decoder, checks), length
