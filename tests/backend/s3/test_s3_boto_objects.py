"""Object operations through boto3 with default settings: metadata, ranges, conditionals, copy, delete."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

ODD_KEY = "dir/x y+z.txt"


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_put_get_round_trips_metadata_content_type_and_odd_keys(s3: Any, bucket: str) -> None:
    put = s3.put_object(
        Bucket=bucket, Key=ODD_KEY, Body=b"hello", Metadata={"frame": "12"}, ContentType="text/plain"
    )
    assert put["ETag"] == f'"{hashlib.md5(b"hello").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key=ODD_KEY)
    assert got["Body"].read() == b"hello"
    assert got["Metadata"] == {"frame": "12"}
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == 5
    head = s3.head_object(Bucket=bucket, Key=ODD_KEY)
    assert head["ETag"] == put["ETag"] and head["Metadata"] == {"frame": "12"}
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [ODD_KEY]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [ODD_KEY]
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions] == [(ODD_KEY, "null", True)]


def test_empty_object_and_default_content_type(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b"" and got["ContentLength"] == 0
    assert got["ETag"] == f'"{hashlib.md5(b"").hexdigest()}"'


def test_range_reads(s3: Any, bucket: str) -> None:
    data = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert part["Body"].read() == data[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == data[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=10000-")["Body"].read() == data[10000:]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(data)}-")
    assert error_code(info) == "InvalidRange"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_conditional_gets(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"data")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"data"
    assert s3.get_object(Bucket=bucket, Key="c", Range="bytes=0-1", IfMatch=etag)["Body"].read() == b"da"
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123"')
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    future, past = datetime.now(UTC) + timedelta(hours=1), datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"data"
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


def test_copy_with_metadata_directives(s3: Any, bucket: str) -> None:
    src = s3.put_object(Bucket=bucket, Key="src", Body=b"abc", Metadata={"k": "v"}, ContentType="text/x-a")
    copied = s3.copy_object(Bucket=bucket, Key="dst one", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == src["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dst one")
    assert head["Metadata"] == {"k": "v"} and head["ContentType"] == "text/x-a"
    s3.copy_object(
        Bucket=bucket,
        Key=ODD_KEY,
        CopySource=f"{bucket}/dst one",
        MetadataDirective="REPLACE",
        Metadata={"n": "w"},
        ContentType="text/x-b",
    )
    head = s3.head_object(Bucket=bucket, Key=ODD_KEY)
    assert head["Metadata"] == {"n": "w"} and head["ContentType"] == "text/x-b"
    assert s3.get_object(Bucket=bucket, Key=ODD_KEY)["Body"].read() == b"abc"
    with pytest.raises(ClientError) as info:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert error_code(info) == "InvalidRequest"


def test_delete_and_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c", ODD_KEY):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_object(Bucket=bucket, Key="never-existed")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="a")
    assert error_code(info) == "NoSuchKey"
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "b", "VersionId": "null"}, {"Key": ODD_KEY}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted(["b", ODD_KEY])
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as info:
        s3.head_bucket(Bucket=bucket)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_bucket_lifecycle(s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)  # idempotent for its owner
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as info:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(info) == "BucketNotEmpty"
    with pytest.raises(ClientError) as info:
        s3.list_objects(Bucket="no-such-bucket-here")
    assert error_code(info) == "NoSuchBucket"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
