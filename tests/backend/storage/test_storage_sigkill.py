"""A farm killed with SIGKILL mid-upload restarts with every completed object intact and no partial one."""

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

from tests.backend.s3.conftest import s3_client
from tests.backend.s3.signing import signed_headers
from tests.farm_harness import start_farm_process, stop_process

MIB = 1024 * 1024


def client_for(ready: dict[str, Any]) -> Any:
    creds = json.loads(Path(ready["credentials"]).read_text())
    return s3_client(ready["storage"], creds["email"], creds["token"]), creds


def start_partial_put(url: str, creds: dict[str, str], total: int, sent: bytes) -> http.client.HTTPConnection:
    """Sends the headers and the first bytes of a PUT whose body never completes."""
    headers = signed_headers("PUT", url, (creds["email"], creds["token"]), "UNSIGNED-PAYLOAD", {})
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    connection.putrequest(
        "PUT", parts.path + (f"?{parts.query}" if parts.query else ""), skip_accept_encoding=True
    )
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(total))
    connection.endheaders()
    connection.send(sent)
    return connection


def wait_for_temp_file(data_dir: Path, min_bytes: int) -> None:
    """Waits until the server has written part of the in-flight body to its temp dir."""
    deadline = time.monotonic() + 30
    tmp = data_dir / "objects" / "tmp"
    while time.monotonic() < deadline:
        if any(f.stat().st_size >= min_bytes for f in tmp.iterdir() if f.is_file()):
            return
        time.sleep(0.05)
    raise AssertionError("the server never started writing the in-flight upload")


def test_sigkill_mid_upload_keeps_completed_objects_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "farm"
    process, ready = start_farm_process(data_dir, "--nodes", "0")
    connections = []
    try:
        s3, creds = client_for(ready)
        s3.create_bucket(Bucket="survivors")
        expected = {f"done/{i:02d}": os.urandom(1000 * (i + 1)) for i in range(20)}
        for key, data in expected.items():
            s3.put_object(Bucket="survivors", Key=key, Body=data)
        big = os.urandom(12 * MIB)
        (tmp_path / "big").write_bytes(big)
        s3.upload_file(str(tmp_path / "big"), "survivors", "done/multipart")
        expected["done/multipart"] = big
        upload = s3.create_multipart_upload(Bucket="survivors", Key="pending/multipart")["UploadId"]
        part_one = os.urandom(5 * MIB)
        etag_one = s3.upload_part(
            Bucket="survivors", Key="pending/multipart", UploadId=upload, PartNumber=1, Body=part_one
        )["ETag"]

        base = ready["storage"] + "/survivors/"
        connections.append(start_partial_put(base + "inflight/put", creds, 40 * MIB, os.urandom(6 * MIB)))
        part_url = f"{base}pending/multipart?partNumber=2&uploadId={upload}"
        connections.append(start_partial_put(part_url, creds, 40 * MIB, os.urandom(6 * MIB)))
        wait_for_temp_file(data_dir, 2 * MIB)
        s3.close()
    finally:
        stop_process(process, signal.SIGKILL)
        for connection in connections:
            connection.close()

    process, ready = start_farm_process(data_dir, "--nodes", "0")
    try:
        s3, _ = client_for(ready)
        listed = {
            o["Key"]: o
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="survivors")
            for o in page.get("Contents", [])
        }
        assert sorted(listed) == sorted(expected)
        for key, data in expected.items():
            assert s3.get_object(Bucket="survivors", Key=key)["Body"].read() == data
            if key != "done/multipart":
                assert listed[key]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        assert list((data_dir / "objects" / "tmp").iterdir()) == []
        uploads = s3.list_multipart_uploads(Bucket="survivors").get("Uploads", [])
        assert [u["UploadId"] for u in uploads] == [upload]
        s3.complete_multipart_upload(
            Bucket="survivors",
            Key="pending/multipart",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag_one}]},
        )
        assert s3.get_object(Bucket="survivors", Key="pending/multipart")["Body"].read() == part_one
        s3.close()
    finally:
        stop_process(process)
