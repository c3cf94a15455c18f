"""Checks the buckets a task names: well-formed, owned by the caller, and holding the scene file."""

from __future__ import annotations

from collections.abc import Sequence

from backend.storage.buckets import BucketRegistry
from backend.storage.engine import StorageEngine, StorageError
from backend.tasks.errors import BucketNotFoundError, InvalidRequestError
from backend.tasks.schemas.common import AdvancedBucket

MAX_BUCKET_NAME_LENGTH = 255
# The storage side's limit on object keys (backend/s3/names.py); a prefix is the start of a key.
MAX_KEY_BYTES = 1024


def check_bucket_name(name: str, role: str) -> None:
    """Rejects names that could escape a storage directory or confuse S3 paths (HTTP 400)."""
    if not name or len(name) > MAX_BUCKET_NAME_LENGTH:
        raise InvalidRequestError(
            f"{role} name {name[:60]!r} must be 1 to {MAX_BUCKET_NAME_LENGTH} characters long"
        )
    if ".." in name or "\x00" in name or "/" in name or "\\" in name:
        raise InvalidRequestError(
            f"{role} name {name[:60]!r} may not contain '..', '/', '\\' or NUL characters"
        )


def check_key_prefix(prefix: str, role: str) -> None:
    """Rejects key prefixes the S3 endpoint would refuse as keys: NUL, '..' segments, over-long (HTTP 400).

    The same rules as backend/s3/names.check_key, applied where the REST API takes a prefix, so no
    task or snapshot can read or write a key that no S3 client could.
    """
    if "\x00" in prefix:
        raise InvalidRequestError(f"{role} {prefix[:60]!r} may not contain NUL characters")
    if ".." in prefix.replace("\\", "/").split("/"):
        raise InvalidRequestError(f"{role} {prefix[:60]!r} may not contain '..' path segments")
    if len(prefix.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidRequestError(f"{role} {prefix[:60]!r} is longer than {MAX_KEY_BYTES} bytes")


def check_bucket_prefixes(bucket: AdvancedBucket) -> None:
    """The prefix filter and the stripped prefix of one resource bucket."""
    if bucket.filtering and bucket.filtering.prefix_filtering:
        check_key_prefix(bucket.filtering.prefix_filtering.prefix, "resource bucket prefixFiltering.prefix")
    if bucket.resources_transformation and bucket.resources_transformation.strip_prefix:
        check_key_prefix(
            bucket.resources_transformation.strip_prefix.prefix, "resource bucket stripPrefix.prefix"
        )


def check_owned(registry: BucketRegistry, account_id: int, name: str, role: str) -> None:
    # Another account's bucket is reported exactly like a missing one, so names do not leak.
    if registry.owner_of(name) != account_id:
        raise BucketNotFoundError(
            f"{role} {name!r} does not exist; create it (e.g. conn.create_bucket) before submitting"
        )


def _key_in_bucket(bucket: AdvancedBucket, relative_path: str) -> str | None:
    """The object key a task path maps to in one resource bucket, or None if filtered out."""
    key = relative_path.replace("\\", "/").lstrip("/")
    transformation = bucket.resources_transformation
    if transformation and transformation.strip_prefix:
        key = transformation.strip_prefix.prefix + key
    filtering = bucket.filtering
    if filtering and filtering.prefix_filtering and not key.startswith(filtering.prefix_filtering.prefix):
        return None
    return key


def find_resource(
    storage: StorageEngine, buckets: Sequence[AdvancedBucket], relative_path: str
) -> str | None:
    """The name of the last resource bucket holding the path (later buckets win, like an overlay)."""
    found = None
    for bucket in buckets:
        key = _key_in_bucket(bucket, relative_path)
        if key is None:
            continue
        try:
            storage.head_object(bucket.bucket_name, key)
        except (StorageError, FileNotFoundError):
            continue
        found = bucket.bucket_name
    return found


def require_resource(
    storage: StorageEngine, buckets: Sequence[AdvancedBucket], constant: str, relative_path: str
) -> None:
    if not buckets:
        raise InvalidRequestError(
            f"constant {constant}={relative_path!r} names a file, but the task has no resource bucket; "
            "add the bucket holding it to task.resources"
        )
    if find_resource(storage, buckets, relative_path) is None:
        searched = ", ".join(repr(b.bucket_name) for b in buckets)
        raise InvalidRequestError(
            f"constant {constant}={relative_path!r}: no such file in the resource buckets searched "
            f"({searched}); upload it first or fix the path (it is relative to the bucket root)"
        )
