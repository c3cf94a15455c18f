"""Authentication and ownership: signatures, unknown keys, skew, presigned URLs, foreign buckets."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import requests
from botocore.exceptions import ClientError

from tests.backend.s3.conftest import s3_client
from tests.farm_harness import RunningFarm


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_bad_secret_is_signature_does_not_match(farm: RunningFarm) -> None:
    bad = s3_client(farm.storage_url, farm.email, farm.token + "x")
    with pytest.raises(ClientError) as info:
        bad.list_buckets()
    assert error_code(info) == "SignatureDoesNotMatch"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key(farm: RunningFarm) -> None:
    stranger = s3_client(farm.storage_url, "nobody@example.org", farm.token)
    with pytest.raises(ClientError) as info:
        stranger.list_buckets()
    assert error_code(info) == "InvalidAccessKeyId"


def test_anonymous_request_is_denied_with_xml(farm: RunningFarm) -> None:
    response = requests.get(farm.storage_url + "/", timeout=10)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text


def test_skewed_clock_is_rejected(farm: RunningFarm) -> None:
    client = s3_client(farm.storage_url, farm.email, farm.token)
    skewed = datetime.now(UTC) - timedelta(hours=1)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=skewed),
        pytest.raises(ClientError) as info,
    ):
        client.list_buckets()
    assert error_code(info) == "RequestTimeTooSkewed"


def test_region_comes_from_the_credential_scope(farm: RunningFarm) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=farm.storage_url,
        aws_access_key_id=farm.email,
        aws_secret_access_key=farm.token,
        region_name="eu-west-1",
    )
    client.create_bucket(Bucket="regional-bucket")
    assert client.head_bucket(Bucket="regional-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_other_account_cannot_see_or_touch_a_bucket(s3: Any, other_s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"mine")
    assert bucket not in [b["Name"] for b in other_s3.list_buckets()["Buckets"]]
    attempts: list[Callable[[], object]] = [
        lambda: other_s3.list_objects(Bucket=bucket),
        lambda: other_s3.list_objects_v2(Bucket=bucket),
        lambda: other_s3.get_object(Bucket=bucket, Key="secret.txt"),
        lambda: other_s3.put_object(Bucket=bucket, Key="intruder", Body=b"x"),
        lambda: other_s3.delete_object(Bucket=bucket, Key="secret.txt"),
        lambda: other_s3.delete_bucket(Bucket=bucket),
        lambda: other_s3.create_multipart_upload(Bucket=bucket, Key="k"),
        lambda: other_s3.copy_object(
            Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "secret.txt"}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as info:
            attempt()
        assert error_code(info) in ("AccessDenied", "NoSuchBucket")
    with pytest.raises(ClientError) as info:
        other_s3.create_bucket(Bucket=bucket)
    assert error_code(info) == "BucketAlreadyExists"
    other_s3.create_bucket(Bucket=bucket + "-theirs")
    with pytest.raises(ClientError) as info:
        other_s3.copy_object(
            Bucket=bucket + "-theirs", Key="c", CopySource={"Bucket": bucket, "Key": "secret.txt"}
        )
    assert error_code(info) == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"mine"


def test_presigned_get_and_put_work_and_expire(farm: RunningFarm, s3: Any, bucket: str) -> None:
    # boto3 presigns S3 URLs with SigV4 only when asked (its default is the legacy SigV2 query form).
    signer = s3_client(farm.storage_url, farm.email, farm.token, signature_version="s3v4")
    s3.put_object(Bucket=bucket, Key="dir/x y+z.txt", Body=b"shared")
    url = signer.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/x y+z.txt"}, ExpiresIn=60
    )
    assert requests.get(url, timeout=10).content == b"shared"
    put_url = signer.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up.bin"}, ExpiresIn=60
    )
    assert requests.put(put_url, data=b"uploaded", timeout=10).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="up.bin")["Body"].read() == b"uploaded"
    tampered = url.replace("x%20y", "x%20z")
    assert requests.get(tampered, timeout=10).status_code == 403
    expired = signer.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "up.bin"}, ExpiresIn=1
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = requests.get(expired, timeout=10)
        if response.status_code == 403:
            break
        time.sleep(0.2)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text and "expired" in response.text


def test_presigned_sigv2_urls_boto3_makes_by_default(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/x y+z.txt", Body=b"legacy")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "dir/x y+z.txt"}, ExpiresIn=60
    )
    assert "AWSAccessKeyId=" in url
    assert requests.get(url, timeout=10).content == b"legacy"
    assert requests.get(url.replace("Signature=", "Signature=x"), timeout=10).status_code == 403
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "v2.bin"}, ExpiresIn=60
    )
    assert requests.put(put_url, data=b"v2 upload", timeout=10).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="v2.bin")["Body"].read() == b"v2 upload"
