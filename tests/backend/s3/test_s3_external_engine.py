"""The same boto3 suite through a Hearth farm whose storage engine is an external S3 store (moto)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from backend.config import ExternalS3Settings
from tests.backend.s3.test_s3_auth import test_other_account_cannot_see_or_touch_a_bucket
from tests.backend.s3.test_s3_boto_bulk import (
    test_50_mb_multipart_upload_download_and_ranges,
    test_500_small_files_list_paginate_copy_delete,
)
from tests.backend.s3.test_s3_boto_objects import (
    test_bucket_lifecycle,
    test_conditional_gets,
    test_copy_with_metadata_directives,
    test_delete_and_delete_objects,
    test_empty_object_and_default_content_type,
    test_put_get_round_trips_metadata_content_type_and_odd_keys,
    test_range_reads,
)
from tests.backend.s3.test_s3_errors import test_multipart_rules
from tests.farm_harness import RunningFarm, farm_in_thread

__all__ = [
    "test_50_mb_multipart_upload_download_and_ranges",
    "test_500_small_files_list_paginate_copy_delete",
    "test_bucket_lifecycle",
    "test_conditional_gets",
    "test_copy_with_metadata_directives",
    "test_delete_and_delete_objects",
    "test_empty_object_and_default_content_type",
    "test_multipart_rules",
    "test_other_account_cannot_see_or_touch_a_bucket",
    "test_put_get_round_trips_metadata_content_type_and_odd_keys",
    "test_range_reads",
]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def farm(tmp_path: Path, moto_endpoint: str) -> Iterator[RunningFarm]:
    external = ExternalS3Settings(
        endpoint_url=moto_endpoint, access_key="testing", secret_key="testing", bucket_prefix="h-"
    )
    with farm_in_thread(tmp_path / "farm", storage_engine="s3", external_s3=external) as running:
        yield running


def _moto_client(moto_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def test_objects_land_in_the_external_store(s3: Any, bucket: str, moto_endpoint: str) -> None:
    """Read moto directly: the farm must have stored the bytes there, not anywhere else."""
    s3.put_object(Bucket=bucket, Key="scene/a.txt", Body=b"hello moto", Metadata={"shot": "010"})
    part = os.urandom(5 * 1024 * 1024)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="scene/big.bin")
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="scene/big.bin", UploadId=upload["UploadId"], PartNumber=n, Body=part
            )["ETag"],
        }
        for n in (1, 2)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="scene/big.bin", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )

    moto = _moto_client(moto_endpoint)
    try:
        external = f"h-{bucket}"
        listed = moto.list_objects_v2(Bucket=external).get("Contents", [])
        assert {o["Key"]: o["Size"] for o in listed} == {"scene/a.txt": 10, "scene/big.bin": 2 * len(part)}
        small = moto.get_object(Bucket=external, Key="scene/a.txt")
        assert small["Body"].read() == b"hello moto"
        assert small["ETag"] == f'"{hashlib.md5(b"hello moto").hexdigest()}"'
        assert small["Metadata"] == {"shot": "010"}
        assert moto.get_object(Bucket=external, Key="scene/big.bin")["Body"].read() == part + part
        assert s3.head_object(Bucket=bucket, Key="scene/a.txt")["ETag"] == small["ETag"]

        s3.delete_object(Bucket=bucket, Key="scene/a.txt")
        remaining = [o["Key"] for o in moto.list_objects_v2(Bucket=external).get("Contents", [])]
        assert remaining == ["scene/big.bin"]
    finally:
        moto.close()
