"""Bad input gets S3 XML errors with the right codes (never a 500), and keys never escape the data dir."""

from __future__ import annotations

import hashlib
import http.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.backend.s3.signing import signed_headers
from tests.farm_harness import RunningFarm


@dataclass
class Reply:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()


def signed(farm: RunningFarm, method: str, path: str, body: bytes = b"") -> Reply:
    """Sends the path exactly as written (requests/urllib3 would normalise '..' and %2E away)."""
    url = farm.storage_url + path
    headers = signed_headers(method, url, (farm.email, farm.token), hashlib.sha256(body).hexdigest(), {})
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/ab", "InvalidBucketName"),
        ("/UPPER-case", "InvalidBucketName"),
        ("/dots..dots", "InvalidBucketName"),
        ("/%2E%2E", "InvalidBucketName"),
        ("/under_score", "InvalidBucketName"),
    ],
)
def test_bad_bucket_names(farm: RunningFarm, path: str, code: str) -> None:
    response = signed(farm, "PUT", path)
    assert response.status_code == 400
    assert f"<Code>{code}</Code>" in response.text


@pytest.mark.parametrize("key", ["../../etc/passwd", "a/../../b", "nul%00byte", "..", "%FF%FE"])
def test_bad_keys_are_400_and_touch_nothing(farm: RunningFarm, s3: Any, bucket: str, key: str) -> None:
    response = signed(farm, "PUT", f"/{bucket}/{key}", b"evil")
    assert response.status_code == 400, response.text
    assert "<Code>InvalidArgument</Code>" in response.text
    assert signed(farm, "GET", f"/{bucket}/{key}").status_code == 400
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert not list(Path(farm.data_dir).parent.rglob("passwd"))


def test_missing_things_and_head_without_body(farm: RunningFarm, s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="missing")
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    response = signed(farm, "HEAD", f"/{bucket}/missing")
    assert response.status_code == 404 and response.content == b""
    response = signed(farm, "GET", "/no-such-bucket/key")
    assert response.status_code == 404
    assert (
        "<Code>NoSuchBucket</Code>" in response.text
        and "<BucketName>no-such-bucket</BucketName>" in response.text
    )
    with pytest.raises(ClientError) as info:
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId="nope")
    assert info.value.response["Error"]["Code"] == "NoSuchUpload"


def test_unsupported_subresources_and_methods(farm: RunningFarm, bucket: str) -> None:
    for method, path in [
        ("GET", f"/{bucket}?acl"),
        ("PUT", f"/{bucket}/k?tagging"),
        ("GET", f"/{bucket}?policy"),
    ]:
        response = signed(farm, method, path)
        assert response.status_code == 501 and "<Code>NotImplemented</Code>" in response.text
    response = signed(farm, "POST", "/")
    assert response.status_code == 405 and "<Code>MethodNotAllowed</Code>" in response.text


def test_malformed_xml(farm: RunningFarm, bucket: str) -> None:
    response = signed(farm, "POST", f"/{bucket}?delete", b"<Delete><Object>")
    assert response.status_code == 400 and "<Code>MalformedXML</Code>" in response.text
    bomb = b'<!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>'
    assert signed(farm, "POST", f"/{bucket}?delete", bomb).status_code == 400


def test_oversized_put_is_entity_too_large(farm: RunningFarm, bucket: str) -> None:
    url = f"{farm.storage_url}/{bucket}/huge"
    headers = signed_headers("PUT", url, (farm.email, farm.token), "UNSIGNED-PAYLOAD", {})
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.putrequest("PUT", parts.path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(6 * 1024**3))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400
    assert b"<Code>EntityTooLarge</Code>" in response.read()
    connection.close()


def test_multipart_rules(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="mp", ContentType="video/x-test", Metadata={"m": "1"}
    )["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"a" * 1024)
    last = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"b" * 10)
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 1024), (2, 10)]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload]
    listed = [{"PartNumber": 1, "ETag": small["ETag"]}, {"PartNumber": 2, "ETag": last["ETag"]}]
    with pytest.raises(ClientError) as info:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": listed}
        )
    assert info.value.response["Error"]["Code"] == "EntityTooSmall"
    with pytest.raises(ClientError) as info:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": list(reversed(listed))}
        )
    assert info.value.response["Error"]["Code"] == "InvalidPartOrder"
    with pytest.raises(ClientError) as info:
        bad = [{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}]
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": bad})
    assert info.value.response["Error"]["Code"] == "InvalidPart"
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": listed[1:]}
    )
    assert done["ETag"].endswith('-1"')
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert (
        head["ContentLength"] == 10
        and head["ContentType"] == "video/x-test"
        and head["Metadata"] == {"m": "1"}
    )
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=3, Body=b"x")
    assert info.value.response["Error"]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as info:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId="whatever", PartNumber=10001, Body=b"x")
    assert info.value.response["Error"]["Code"] == "InvalidArgument"
    second = s3.create_multipart_upload(Bucket=bucket, Key="mp2")["UploadId"]
    s3.upload_part_copy(
        Bucket=bucket,
        Key="mp2",
        UploadId=second,
        PartNumber=1,
        CopySource=f"{bucket}/mp",
        CopySourceRange="bytes=0-3",
    )
    s3.abort_multipart_upload(Bucket=bucket, Key="mp2", UploadId=second)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
