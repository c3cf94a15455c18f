"""Every payload form botocore 1.44 emits, plus hand-signed aws-chunked bodies and checksum checks.

botocore over http signs the SHA-256 of the body and sends flexible checksums as headers; over https
(with request_checksum_calculation="when_supported", the default) it streams aws-chunked with an
unsigned trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER); payload_signing_enabled=False gives
UNSIGNED-PAYLOAD. Signed chunked streams are never emitted by botocore, so they are built by hand.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from botocore.exceptions import ClientError

from tests.backend.s3 import (
    test_s3_boto_bulk as bulk,  # the module, so pytest does not collect its tests here
)
from tests.backend.s3.conftest import s3_client
from tests.backend.s3.signing import put_signed_chunked, signed_headers
from tests.farm_harness import RunningFarm, farm_in_thread
from tests.tls_certs import make_cert


@pytest.fixture
def tls_farm(tmp_path: Path) -> Iterator[RunningFarm]:
    cert, key = make_cert(tmp_path)
    with farm_in_thread(tmp_path / "tls-farm", tls_cert=cert, tls_key=key) as running:
        yield running


def record_payload_headers(client: Any) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append(
            {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    client.meta.events.register("before-send.s3.*", record)
    return seen


@pytest.mark.parametrize("calculation", ["when_supported", "when_required"])
def test_https_streaming_trailer_and_header_modes(
    tls_farm: RunningFarm, tmp_path: Path, calculation: str
) -> None:
    urllib3.disable_warnings()
    client = s3_client(
        tls_farm.storage_url, tls_farm.email, tls_farm.token, request_checksum_calculation=calculation
    )
    seen = record_payload_headers(client)
    client.create_bucket(Bucket="tls-bucket")
    data = os.urandom(3 * 1024 * 1024 + 17)
    client.put_object(Bucket="tls-bucket", Key="file.bin", Body=io.BytesIO(data))
    sent = seen[-1]
    if calculation == "when_supported":
        assert sent["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        assert sent["x-amz-trailer"] == "x-amz-checksum-crc32"
    else:
        assert (
            sent["x-amz-content-sha256"] in ("UNSIGNED-PAYLOAD",) or len(sent["x-amz-content-sha256"]) == 64
        )
    got = client.get_object(Bucket="tls-bucket", Key="file.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    source = tmp_path / "multi.bin"
    source.write_bytes(os.urandom(9 * 1024 * 1024))
    client.upload_file(str(source), "tls-bucket", "multi.bin")
    assert client.get_object(Bucket="tls-bucket", Key="multi.bin")["Body"].read() == source.read_bytes()
    client.close()


def test_http_modes_signed_sha256_and_unsigned(farm: RunningFarm) -> None:
    signed = s3_client(farm.storage_url, farm.email, farm.token)
    seen = record_payload_headers(signed)
    signed.create_bucket(Bucket="http-bucket")
    signed.put_object(Bucket="http-bucket", Key="a", Body=io.BytesIO(b"abc"))
    assert seen[-1]["x-amz-content-sha256"] == hashlib.sha256(b"abc").hexdigest()
    assert "x-amz-checksum-crc32" in seen[-1]
    unsigned = s3_client(farm.storage_url, farm.email, farm.token, s3={"payload_signing_enabled": False})
    seen = record_payload_headers(unsigned)
    unsigned.put_object(Bucket="http-bucket", Key="b", Body=b"unsigned body")
    assert seen[-1]["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert unsigned.get_object(Bucket="http-bucket", Key="b")["Body"].read() == b"unsigned body"
    got = signed.get_object(Bucket="http-bucket", Key="a", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"abc"
    assert got["ChecksumCRC32"]


@pytest.mark.parametrize("trailer", [False, True])
def test_hand_signed_aws_chunked(farm: RunningFarm, s3: Any, bucket: str, trailer: bool) -> None:
    url = f"{farm.storage_url}/{bucket}/chunked.bin"
    data = os.urandom(200_000)
    response = put_signed_chunked(url, farm.email, farm.token, data, trailer=trailer)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="chunked.bin")["Body"].read() == data
    bad = put_signed_chunked(
        url.replace("chunked", "tampered"), farm.email, farm.token, data, trailer=trailer, tamper_chunk=True
    )
    assert bad.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in bad.text
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="tampered.bin")


def test_bad_trailer_checksum_is_rejected(farm: RunningFarm, s3: Any, bucket: str) -> None:
    url = f"{farm.storage_url}/{bucket}/crc.bin"
    response = put_signed_chunked(url, farm.email, farm.token, b"x" * 1000, trailer=True, checksum="AAAAAA==")
    assert response.status_code == 400 and "<Code>BadDigest</Code>" in response.text
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_payload_hash_md5_and_checksum_mismatches(farm: RunningFarm, s3: Any, bucket: str) -> None:
    url = f"{farm.storage_url}/{bucket}/bad"
    wrong_sha = hashlib.sha256(b"other").hexdigest()
    headers = signed_headers("PUT", url, (farm.email, farm.token), wrong_sha, {})
    response = requests.put(url, data=b"payload", headers=headers, timeout=10)
    assert response.status_code == 400 and "XAmzContentSHA256Mismatch" in response.text
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"payload", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert info.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"payload", ContentMD5="not-md5")
    assert info.value.response["Error"]["Code"] == "InvalidDigest"
    with pytest.raises(ClientError) as info:
        s3.put_object(
            Bucket=bucket,
            Key="bad",
            Body=b"payload",
            ChecksumSHA256="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        )
    assert info.value.response["Error"]["Code"] == "BadDigest"
    s3.put_object(Bucket=bucket, Key="good", Body=b"payload", ChecksumAlgorithm="SHA1")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_https_50_mb_multipart_streams_every_part_with_a_trailer(
    tls_farm: RunningFarm, tmp_path: Path
) -> None:
    """The bulk test over TLS: every 8 MB part goes aws-chunked with a trailing CRC, at full size."""
    urllib3.disable_warnings()
    client = s3_client(tls_farm.storage_url, tls_farm.email, tls_farm.token)
    seen = record_payload_headers(client)
    client.create_bucket(Bucket="tls-bulk")
    bulk.test_50_mb_multipart_upload_download_and_ranges(client, "tls-bulk", tmp_path)
    parts = [h for h in seen if h.get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"]
    assert len(parts) == 7, [h.get("x-amz-content-sha256") for h in seen]
    assert all(h["x-amz-trailer"] == "x-amz-checksum-crc32" for h in parts)
    client.close()
