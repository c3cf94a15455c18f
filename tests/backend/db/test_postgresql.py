"""The farm on PostgreSQL (`--database-url`): migrations, storage, tasks and claims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import backend.db.models  # noqa: F401  (registers every table)
from backend.db.base import Base
from backend.db.session import Database
from tests.farm_harness import farm_in_thread
from tests.postgres_server import postgres_server

COLD_ROOM = {"room_c": 17.0, "setpoint_c": 19.0, "wants_heat": True, "predicted_overshoot_k": 0.0}


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_the_migrations_build_the_models_on_postgresql(database_url: str) -> None:
    db = Database(database_url)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.dispose()


def test_a_farm_on_postgresql_stores_objects_and_hands_out_frames(database_url: str, tmp_path: Path) -> None:
    with farm_in_thread(tmp_path / "farm", database_url=database_url) as farm:
        keys = {"aws_access_key_id": farm.email, "aws_secret_access_key": farm.token}
        s3 = boto3.client("s3", endpoint_url=farm.storage_url, region_name="us-east-1", **keys)
        s3.create_bucket(Bucket="pg-scene")
        s3.create_bucket(Bucket="pg-frames")
        s3.put_object(Bucket="pg-scene", Key="shot.blend", Body=b"BLENDER-v500")
        body = {
            "name": "pg",
            "profile": "blender",
            "advancedRanges": "1-2",
            "constants": [{"key": "BLEND_FILE", "value": "shot.blend"}],
            "advancedResourceBuckets": [{"bucketName": "pg-scene"}],
            "resultBucket": "pg-frames",
        }
        headers = {"Authorization": farm.token}
        uuid = requests.post(f"{farm.url}/tasks", json=body, headers=headers, timeout=30).json()["uuid"]
        assert farm.server is not None
        node = {"Authorization": farm.server.ctx.fleet.add("pg-node")}
        claim = requests.post(
            f"{farm.url}/nodes/v1/claim", json={"room": COLD_ROOM, "wait_s": 5}, headers=node, timeout=30
        )

        assert claim.status_code == 200 and claim.json()["task_uuid"] == uuid
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="pg-scene")["Contents"]] == ["shot.blend"]
        task = requests.get(f"{farm.url}/tasks/{uuid}", headers=headers, timeout=30).json()
        assert task["state"] == "PartiallyDispatched"
