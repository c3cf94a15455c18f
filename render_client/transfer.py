"""The farm's S3 endpoint as a boto3 client, with S3 errors translated into the render_client tree."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from render_client.api import FarmClient, TlsOptions
from render_client.errors import CannotReachServer, HearthError, NotAuthorized, ServerRefused

S3_REGION = "us-east-1"
# One shared client serves every worker thread; its pool must hold one connection per worker.
MAX_POOL_CONNECTIONS = 32
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0
_AUTH_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken"}
)


class TransferCancelled(HearthError):  # noqa: N818 (reads as an outcome, like the other names)
    """The user cancelled a transfer; what finished stays, what did not is not visible."""


@dataclass(frozen=True)
class StorageAccess:
    """Where the farm's S3 endpoint is and who we are there (access key = e-mail, secret = API token)."""

    url: str
    access_key: str
    secret_key: str
    verify: bool | str = True

    @classmethod
    def from_farm(cls, farm: FarmClient, tls: TlsOptions | None = None) -> StorageAccess:
        """Asks the farm for its storage URL (GET /settings) and the account e-mail (GET /info)."""
        return cls(
            url=farm.storage_url(),
            access_key=farm.user_email(),
            secret_key=farm.token,
            verify=(tls or TlsOptions()).verify,
        )


def s3_client(
    access: StorageAccess, max_pool_connections: int = MAX_POOL_CONNECTIONS, max_attempts: int = 5
) -> Any:
    """A thread-safe boto3 S3 client: path-style, us-east-1, botocore's default checksum settings."""
    config = Config(
        region_name=S3_REGION,
        s3={"addressing_style": "path"},
        max_pool_connections=max_pool_connections,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=access.url,
        aws_access_key_id=access.access_key,
        aws_secret_access_key=access.secret_key,
        verify=access.verify,
        config=config,
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, doing: str) -> HearthError:
    """One S3/botocore failure as a HearthError whose message says what to do next."""
    if isinstance(exc, HearthError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = str(exc.response.get("Error", {}).get("Message") or code)
        if code in _AUTH_CODES or status in (401, 403):
            return NotAuthorized(
                f"the farm's storage refused {doing} ({code}); log in again (`hearth login`) "
                "or check that your token is still valid"
            )
        return ServerRefused(f"the farm's storage refused {doing}: {message} ({code})", status=status)
    if isinstance(exc, EndpointConnectionError | ConnectionError):
        return CannotReachServer(
            f"cannot reach the farm's storage while {doing}; check the network and that the farm is running"
        )
    if isinstance(exc, BotoCoreError):
        return CannotReachServer(f"the farm's storage failed while {doing}: {exc}; try again")
    if isinstance(exc, OSError):
        return HearthError(f"a local file could not be read or written while {doing}: {exc}")
    raise exc


@contextlib.contextmanager
def translated(doing: str) -> Iterator[None]:
    """Re-raises S3, network and file errors as HearthErrors."""
    try:
        yield
    except (ClientError, BotoCoreError, OSError) as exc:
        raise translate(exc, doing) from exc


def ensure_bucket(client: Any, bucket: str) -> None:
    """Creates the bucket unless this account already owns it."""
    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise translate(exc, f"creating bucket {bucket}") from exc
    except (BotoCoreError, OSError) as exc:
        raise translate(exc, f"creating bucket {bucket}") from exc


@dataclass(frozen=True)
class RemoteObject:
    key: str
    etag: str  # without quotes
    size_b: int
    modified_ts: float  # seconds since the epoch


def list_objects(client: Any, bucket: str, prefix: str = "") -> dict[str, RemoteObject]:
    """Every object of the bucket (ListObjectsV2, all pages), by key."""
    found: dict[str, RemoteObject] = {}
    with translated(f"listing bucket {bucket}"):
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                found[key] = RemoteObject(
                    key=key,
                    etag=str(item["ETag"]).strip('"'),
                    size_b=int(item["Size"]),
                    modified_ts=item["LastModified"].timestamp(),
                )
    return found
