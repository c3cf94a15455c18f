"""Fixtures for REST API tests: an authenticated requests session and a bucket holding a scene."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from tests.farm_harness import RunningFarm

SCENE_BUCKET = "api-scene"
RESULT_BUCKET = "api-results"
SCENE_KEY = "shots/main.blend"


@dataclass
class Api:
    """A farm URL and a session that sends one account's token."""

    url: str
    session: requests.Session

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url + path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.put(self.url + path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.patch(self.url + path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url + path, **kwargs)


def api_for(url: str, token: str) -> Api:
    session = requests.Session()
    session.headers["Authorization"] = token
    return Api(url, session)


def s3_for(farm: RunningFarm, email: str, token: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=farm.storage_url,
        aws_access_key_id=email,
        aws_secret_access_key=token,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required"),
    )


@pytest.fixture
def api(farm: RunningFarm) -> Iterator[Api]:
    client = api_for(farm.url, farm.token)
    yield client
    client.session.close()


@pytest.fixture
def scene(farm: RunningFarm) -> str:
    """Creates the scene and result buckets of the farm's main account; returns the scene bucket."""
    s3 = s3_for(farm, farm.email, farm.token)
    s3.create_bucket(Bucket=SCENE_BUCKET)
    s3.create_bucket(Bucket=RESULT_BUCKET)
    s3.put_object(Bucket=SCENE_BUCKET, Key=SCENE_KEY, Body=b"BLENDER-v400")
    return SCENE_BUCKET


def task_body(**overrides: Any) -> dict[str, Any]:
    """A submit body shaped like the SDK's, for the scene fixture's buckets."""
    body: dict[str, Any] = {
        "name": "api-task",
        "profile": "blender",
        "poolUuid": None,
        "jobUuid": None,
        "constants": [{"key": "BLEND_FILE", "value": SCENE_KEY}],
        "constraints": [],
        "forcedConstants": [],
        "waitForPoolResourcesSynchronization": None,
        "uploadResultsOnCancellation": None,
        "labels": {},
        "dependencies": {"dependsOn": []},
        "advancedResourceBuckets": [
            {"bucketName": SCENE_BUCKET, "filtering": {}, "resourcesTransformation": {}, "cacheTTLSec": None}
        ],
        "resultBucket": RESULT_BUCKET,
        "advancedRanges": "1-3",
        "tags": [],
        "autoDeleteOnCompletion": False,
        "completionTimeToLive": "00:00:00",
        "hardwareConstraints": [],
        "defaultResourcesCacheTTLSec": None,
        "privileges": {"exportApiAndStorageCredentialsInEnvironment": False},
        "retrySettings": {"maxTotalRetries": None, "maxPerInstanceRetries": None},
        "forcedNetworkRules": [],
    }
    body.update(overrides)
    return body


def submit(api: Api, **overrides: Any) -> str:
    response = api.post("/tasks", json=task_body(**overrides))
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid
