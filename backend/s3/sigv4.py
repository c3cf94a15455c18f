"""AWS Signature Version 4: canonical requests, signing keys and signature checks (headers and query)."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass
from urllib.parse import quote, unquote

from backend.s3.errors import S3Error

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_SPACES = re.compile(r"\s+")
_SIGNING_KEY_CACHE_MAX = 256


@dataclass(frozen=True)
class Credential:
    """The parts of `Credential=AKID/20261122/us-east-1/s3/aws4_request`."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True)
class SignatureInput:
    """What a request claims about its signature, from its Authorization header or its query."""

    credential: Credential
    signed_headers: list[str]
    signature: str
    amz_date: str
    presigned: bool


def parse_credential(value: str) -> Credential:
    # The access key is an e-mail address and may hold anything but '/', so split from the right.
    parts = value.rsplit("/", 4)
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise S3Error(
            "AuthorizationHeaderMalformed", "The authorization header is malformed; bad Credential."
        )
    return Credential(parts[0], parts[1], parts[2], parts[3])


def parse_authorization(header: str, amz_date: str) -> SignatureInput:
    if not header.startswith(ALGORITHM + " "):
        raise S3Error("InvalidArgument", "Only AWS4-HMAC-SHA256 (Signature Version 4) is supported.")
    fields: dict[str, str] = {}
    for item in header[len(ALGORITHM) + 1 :].split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    try:
        credential = parse_credential(fields["Credential"])
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except KeyError:
        raise S3Error("AuthorizationHeaderMalformed", "The authorization header is malformed.") from None
    return SignatureInput(credential, signed, signature, amz_date, presigned=False)


def canonical_query(raw_query: str, drop_signature: bool) -> str:
    """Decode then re-encode every pair the RFC 3986 way, so clients' encoding choices do not matter."""
    if not raw_query:
        return ""
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        name = quote(unquote(name), safe="-_.~")
        if drop_signature and name == "X-Amz-Signature":
            continue
        pairs.append((name, quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_headers(headers: dict[str, list[str]], signed: list[str]) -> str:
    lines = []
    for name in signed:
        values = headers.get(name)
        if values is None:
            raise S3Error("SignatureDoesNotMatch", f"The signed header {name} is missing from the request.")
        lines.append(f"{name}:{','.join(_SPACES.sub(' ', v.strip()) for v in values)}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    *,
    headers: dict[str, list[str]],
    sig: SignatureInput,
    payload: str,
) -> str:
    return "\n".join(
        (
            method,
            raw_path,
            canonical_query(raw_query, drop_signature=sig.presigned),
            canonical_headers(headers, sig.signed_headers),
            ";".join(sig.signed_headers),
            payload,
        )
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


_key_cache: dict[tuple[str, str, str, str], bytes] = {}
_key_lock = threading.Lock()


def signing_key(secret: str, credential: Credential) -> bytes:
    cache_key = (secret, credential.date, credential.region, credential.service)
    key = _key_cache.get(cache_key)
    if key is None:
        key = _hmac(("AWS4" + secret).encode(), credential.date)
        for part in (credential.region, credential.service, "aws4_request"):
            key = _hmac(key, part)
        with _key_lock:
            if len(_key_cache) >= _SIGNING_KEY_CACHE_MAX:
                _key_cache.clear()
            _key_cache[cache_key] = key
    return key


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def sign(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def matching_key(
    secrets: tuple[str, ...], credential: Credential, to_sign: str, signature: str
) -> bytes | None:
    """The signing key of the first candidate secret that produces `signature`, if any."""
    for secret in secrets:
        key = signing_key(secret, credential)
        if hmac.compare_digest(sign(key, to_sign), signature.lower()):
            return key
    return None
