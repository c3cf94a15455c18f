"""S3Error: every protocol failure, carrying the S3 code, HTTP status and what the client should know."""

from __future__ import annotations

from backend.storage.engine import StorageError

STATUS_BY_CODE: dict[str, int] = {
    "AccessDenied": 403,
    "AuthorizationHeaderMalformed": 400,
    "BadDigest": 400,
    "BucketAlreadyExists": 409,
    "BucketAlreadyOwnedByYou": 409,
    "BucketNotEmpty": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "IncompleteBody": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketName": 400,
    "InvalidDigest": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRequest": 400,
    "MalformedXML": 400,
    "MetadataTooLarge": 400,
    "MethodNotAllowed": 405,
    "MissingContentLength": 411,
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NotImplemented": 501,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
    "SignatureDoesNotMatch": 403,
    "XAmzContentSHA256Mismatch": 400,
}


class S3Error(Exception):
    """Answered as an S3 XML error document; `headers` are extra response headers."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        bucket: str | None = None,
        key: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.bucket = bucket
        self.key = key
        self.headers = headers or []
        self.status = status or STATUS_BY_CODE.get(code, 400)


class NotModified(Exception):  # noqa: N818 (a 304 answer, not an error)
    """A conditional GET/HEAD whose answer is 304 (not an error document)."""

    def __init__(self, etag: str, last_modified: str) -> None:
        super().__init__("not modified")
        self.etag = etag
        self.last_modified = last_modified


_STORAGE_MESSAGES = {
    "NoSuchBucket": "The specified bucket does not exist",
    "NoSuchKey": "The specified key does not exist.",
    "NoSuchUpload": "The specified multipart upload does not exist; it may have been aborted or completed.",
    "BucketNotEmpty": "The bucket you tried to delete is not empty",
}


def from_storage(error: StorageError, bucket: str | None = None, key: str | None = None) -> S3Error:
    message = _STORAGE_MESSAGES.get(error.code) or str(error) or error.code
    return S3Error(error.code, message, bucket=bucket, key=key)
