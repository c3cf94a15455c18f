"""SIGKILL the server mid-upload, restart it: completed objects and tasks survive, torn ones never show."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from tests.farm_harness import start_farm_process, stop_process

MIB = 1024 * 1024


def s3_client(ready: dict[str, Any], email: str, token: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=ready["storage"],
        aws_access_key_id=email,
        aws_secret_access_key=token,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


def start_partial_put(url: str, total_bytes: int) -> http.client.HTTPConnection:
    """Sends the headers and half the body of a presigned PUT, leaving the request in flight."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    connection.putrequest("PUT", f"{parts.path}?{parts.query}", skip_accept_encoding=True)
    connection.putheader("Content-Length", str(total_bytes))
    connection.endheaders()
    connection.send(os.urandom(total_bytes // 2))
    return connection


def wait_for_partial_writes(data_dir: Path, count: int, min_bytes: int) -> None:
    """Waits (polling) until the server is writing `count` in-flight bodies to its temp dir."""
    tmp = data_dir / "objects" / "tmp"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        started = [f for f in tmp.iterdir() if f.is_file() and f.stat().st_size >= min_bytes]
        if len(started) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server never started writing {count} in-flight uploads under {tmp}")


@pytest.mark.timeout(180)
def test_sigkill_mid_upload_keeps_completed_work_and_hides_partial_objects(tmp_path: Path) -> None:
    data_dir = tmp_path / "farm"
    process, ready = start_farm_process(data_dir)
    try:
        creds = json.loads(Path(ready["credentials"]).read_text())
        s3 = s3_client(ready, creds["email"], creds["token"])
        s3.create_bucket(Bucket="scene")
        small = os.urandom(100_000)
        s3.put_object(Bucket="scene", Key="done/small.bin", Body=small)
        big_path = tmp_path / "big.bin"
        big_path.write_bytes(os.urandom(20 * MIB))
        s3.upload_file(str(big_path), "scene", "done/big.bin")
        s3.create_bucket(Bucket="frames")
        s3.put_object(Bucket="scene", Key="shot.blend", Body=b"BLENDER-v304 placeholder")
        task = requests.post(
            f"{ready['url']}/tasks",
            headers={"Authorization": creds["token"]},
            json={
                "name": "survives",
                "profile": "blender",
                "advancedRanges": "1-3",
                "constants": [{"key": "BLEND_FILE", "value": "shot.blend"}],
                "advancedResourceBuckets": [{"bucketName": "scene"}],
                "resultBucket": "frames",
            },
            timeout=30,
        )
        assert task.status_code in (200, 201), task.text
        task_uuid = task.json()["uuid"]

        upload_id = s3.create_multipart_upload(Bucket="scene", Key="partial/multi.bin")["UploadId"]
        s3.upload_part(
            Bucket="scene",
            Key="partial/multi.bin",
            UploadId=upload_id,
            PartNumber=1,
            Body=os.urandom(5 * MIB),
        )
        part_url = s3.generate_presigned_url(
            "upload_part",
            Params={"Bucket": "scene", "Key": "partial/multi.bin", "UploadId": upload_id, "PartNumber": 2},
        )
        put_url = s3.generate_presigned_url(
            "put_object", Params={"Bucket": "scene", "Key": "partial/single.bin"}
        )
        in_flight = [start_partial_put(part_url, 8 * MIB), start_partial_put(put_url, 8 * MIB)]
        # Kill only once both torn bodies are on disk, so the restart really has partial files to hide.
        wait_for_partial_writes(data_dir, count=2, min_bytes=MIB)
    finally:
        stop_process(process, signal.SIGKILL)
    for connection in in_flight:
        connection.close()

    process, ready = start_farm_process(data_dir)
    try:
        s3 = s3_client(ready, creds["email"], creds["token"])
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="scene").get("Contents", [])}
        assert keys == {"done/small.bin", "done/big.bin", "shot.blend"}
        assert s3.get_object(Bucket="scene", Key="done/small.bin")["Body"].read() == small
        body = s3.get_object(Bucket="scene", Key="done/big.bin")["Body"].read()
        assert hashlib.md5(body).digest() == hashlib.md5(big_path.read_bytes()).digest()
        for key in ("partial/multi.bin", "partial/single.bin"):  # nothing torn is visible
            with pytest.raises(s3.exceptions.ClientError):
                s3.head_object(Bucket="scene", Key=key)
        # The interrupted multipart upload resumes: its completed part is kept, the torn one is not.
        parts = s3.list_parts(Bucket="scene", Key="partial/multi.bin", UploadId=upload_id)["Parts"]
        assert [p["PartNumber"] for p in parts] == [1]
        tail = os.urandom(MIB)
        s3.upload_part(Bucket="scene", Key="partial/multi.bin", UploadId=upload_id, PartNumber=2, Body=tail)
        etags = [
            {"PartNumber": p["PartNumber"], "ETag": p["ETag"]}
            for p in s3.list_parts(Bucket="scene", Key="partial/multi.bin", UploadId=upload_id)["Parts"]
        ]
        s3.complete_multipart_upload(
            Bucket="scene", Key="partial/multi.bin", UploadId=upload_id, MultipartUpload={"Parts": etags}
        )
        assert s3.head_object(Bucket="scene", Key="partial/multi.bin")["ContentLength"] == 6 * MIB
        restored = requests.get(
            f"{ready['url']}/tasks/{task_uuid}", headers={"Authorization": creds["token"]}, timeout=30
        )
        assert restored.status_code == 200 and restored.json()["name"] == "survives"
    finally:
        stop_process(process)
