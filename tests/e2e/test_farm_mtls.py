"""Frames render over mTLS: the farm's own local nodes, and a `hearth-node` with a CA-issued certificate.

This machine sets $REQUESTS_CA_BUNDLE and $CURL_CA_BUNDLE, which requests lets override a session's
`verify`: these tests fail if the node client ever lets the environment pick its CA again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene
from tests.tls_certs import CertAuthority

WAIT_TIMEOUT_S = 240.0
POLL_S = 0.5


class SecureFarm:
    def __init__(self, ready: dict[str, Any], ca: Path) -> None:
        creds = json.loads(Path(ready["credentials"]).read_text())
        self.url, self.ca, self.token = ready["url"], str(ca), creds["token"]
        self.s3 = boto3.client(
            "s3", endpoint_url=ready["storage"], aws_access_key_id=creds["email"],
            aws_secret_access_key=creds["token"], region_name="us-east-1", verify=self.ca,
        )  # fmt: skip

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            self.url + path,
            headers={"Authorization": self.token},
            verify=self.ca,
            timeout=30,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def render_one_frame(self, scene: Path) -> dict[str, Any]:
        self.s3.create_bucket(Bucket="mtls")
        self.s3.create_bucket(Bucket="mtls-out")
        self.s3.upload_file(str(scene / "scene.blend"), "mtls", "scene.blend")
        for texture in (scene / "textures").iterdir():
            self.s3.upload_file(str(texture), "mtls", f"textures/{texture.name}")
        body = {
            "name": "mtls", "profile": "blender", "advancedRanges": "1",
            "constants": [{"key": "BLEND_FILE", "value": "scene.blend"}],
            "advancedResourceBuckets": [{"bucketName": "mtls"}], "resultBucket": "mtls-out",
        }  # fmt: skip
        uuid = self.api("POST", "/tasks", json=body)["uuid"]
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while (task := self.api("GET", f"/tasks/{uuid}"))["state"] not in ("Success", "Failure", "Cancelled"):
            assert time.monotonic() < deadline, f"task still {task['state']} after {WAIT_TIMEOUT_S} s"
            time.sleep(POLL_S)  # polling a condition with a deadline
        return dict(task)


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    make_textured_scene(tmp_path / "scene", frame_start=1, frame_end=1)
    assert (tmp_path / "scene" / "textures").is_dir()
    return tmp_path / "scene"


@pytest.fixture
def ca(tmp_path: Path) -> CertAuthority:
    (tmp_path / "pki").mkdir()
    return CertAuthority.create(tmp_path / "pki")


def _serve_mtls(
    tmp_path: Path, ca: CertAuthority, nodes: int
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    cert, key = ca.issue("127.0.0.1", server=True)
    tls = ("--tls-cert", str(cert), "--tls-key", str(key), "--client-ca", str(ca.cert_path))
    return start_farm_process(tmp_path / "farm", *tls, nodes=nodes)


@pytest.fixture
def env_ca_bundles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A system bundle that does not hold the farm's CA, as on a machine that sets these variables."""
    certifi_like = CertAuthority.create(tmp_path, name="Some system CA").cert_path
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certifi_like))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(certifi_like))
    yield


@pytest.mark.timeout(300)
@pytest.mark.usefixtures("env_ca_bundles")
def test_the_local_nodes_of_an_mtls_farm_render_a_frame(
    tmp_path: Path, ca: CertAuthority, scene: Path
) -> None:
    process, ready = _serve_mtls(tmp_path, ca, nodes=1)
    try:
        task = SecureFarm(ready, ca.cert_path).render_one_frame(scene)
    finally:
        stop_process(process)

    assert task["state"] == "Success", task["errors"]
    assert task["resultsCount"] == 1
    # The operator's CA never signed the local node's certificate: the farm issued it for this run.
    issued = tmp_path / "farm" / "local-nodes-tls" / "node-local-1.pem"
    assert issued.exists() and (issued.with_suffix(".key").stat().st_mode & 0o077) == 0


@pytest.mark.timeout(300)
@pytest.mark.usefixtures("env_ca_bundles")
def test_a_hearth_node_with_a_certificate_from_the_client_ca_renders_a_frame(
    tmp_path: Path, ca: CertAuthority, scene: Path
) -> None:
    process, ready = _serve_mtls(tmp_path, ca, nodes=0)
    node: subprocess.Popen[bytes] | None = None
    try:
        add = [sys.executable, "-m", "backend.cli", "node", "add", "n1", "--data-dir", str(tmp_path / "farm")]
        token = subprocess.run(add, check=True, capture_output=True, text=True).stdout.strip()
        cert, key = ca.issue("n1", server=False)
        node = subprocess.Popen(
            [sys.executable, "-m", "backend.node", "--server", ready["nodes"], "--name", "n1",
             "--work-dir", str(tmp_path / "n1"), "--threads", "1", "--ca-cert", str(ca.cert_path),
             "--client-cert", str(cert), "--client-key", str(key)],
            env={**os.environ, "HEARTH_NODE_TOKEN": token},
        )  # fmt: skip
        task = SecureFarm(ready, ca.cert_path).render_one_frame(scene)
    finally:
        if node is not None:
            node.terminate()
            node.wait(30)
        stop_process(process)

    assert task["state"] == "Success", task["errors"]
    assert task["resultsCount"] == 1
