"""HTTP preconditions (If-Match, If-None-Match, If-(Un)Modified-Since) and single byte ranges."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

from backend.s3.errors import NotModified, S3Error
from backend.s3.request import S3Request
from backend.s3.responses import header, quoted_etag
from backend.s3.xml import http_time
from backend.storage.engine import ObjectInfo


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # unparseable dates are ignored, as HTTP says


def _etag_matches(header_value: str, etag: str) -> bool:
    for raw in header_value.split(","):
        candidate = raw.strip()
        if candidate == "*" or candidate.removeprefix("W/").strip('"') == etag:
            return True
    return False


def check_preconditions(req: S3Request, info: ObjectInfo, prefix: str = "") -> None:
    """Raises 412 PreconditionFailed or NotModified (304), in RFC 9110 order.

    `prefix` is "x-amz-copy-source-" for CopyObject's conditions on its source, which fail with 412 only.
    """
    modified = info.last_modified.replace(microsecond=0)
    if_match = req.header(prefix + "if-match")
    if if_match is not None:
        if not _etag_matches(if_match, info.etag):
            raise S3Error(
                "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
            )
    else:
        since = _http_date(req.header(prefix + "if-unmodified-since"))
        if since is not None and modified > since:
            raise S3Error(
                "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
            )
    if_none_match = req.header(prefix + "if-none-match")
    not_modified = False
    if if_none_match is not None:
        not_modified = _etag_matches(if_none_match, info.etag)
    else:
        since = _http_date(req.header(prefix + "if-modified-since"))
        not_modified = since is not None and modified <= since
    if not_modified:
        if prefix:
            raise S3Error(
                "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
            )
        raise NotModified(quoted_etag(info.etag), http_time(info.last_modified))


def byte_range(value: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for one `bytes=` range; None to send everything; 416 if unsatisfiable."""
    if not value or not value.startswith("bytes=") or "," in value:
        return None
    first_text, sep, last_text = value[6:].strip().partition("-")
    if not sep:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0:
                raise _unsatisfiable(size)
            return max(0, size - suffix), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first >= size:
        raise _unsatisfiable(size)
    if last < first:
        return None
    return first, min(last, size - 1)


def _unsatisfiable(size: int) -> S3Error:
    return S3Error(
        "InvalidRange",
        "The requested range is not satisfiable",
        headers=[header("content-range", f"bytes */{size}")],
    )
