"""Fixtures for S3 endpoint tests: boto3 clients of two accounts against a real farm."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.farm_harness import RunningFarm


def s3_client(storage_url: str, email: str, token: str, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=storage_url,
        aws_access_key_id=email,
        aws_secret_access_key=token,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, **config),
        verify=False,
    )


@pytest.fixture
def s3(farm: RunningFarm) -> Iterator[Any]:
    client = s3_client(farm.storage_url, farm.email, farm.token)
    yield client
    client.close()  # idle keep-alive connections would hold up the server's shutdown


@pytest.fixture
def other_s3(farm: RunningFarm) -> Iterator[Any]:
    email = f"other-{uuid.uuid4().hex[:8]}@example.org"
    client = s3_client(farm.storage_url, email, farm.add_account(email))
    yield client
    client.close()


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
