"""mTLS for nodes: with a client CA, node traffic needs a certificate that CA signed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.farm_harness import start_farm_process, stop_process
from tests.tls_certs import CertAuthority

COLD_ROOM = {"room_c": 17.0, "setpoint_c": 19.0, "wants_heat": True, "predicted_overshoot_k": 0.0}


@pytest.fixture
def secure_farm(tmp_path: Path) -> Iterator[tuple[dict[str, Any], CertAuthority, str]]:
    ca = CertAuthority.create(tmp_path)
    cert, key = ca.issue("127.0.0.1", server=True)
    data_dir = tmp_path / "farm"
    process, ready = start_farm_process(
        data_dir, "--tls-cert", str(cert), "--tls-key", str(key), "--client-ca", str(ca.cert_path)
    )
    add = [sys.executable, "-m", "backend.cli", "node", "add", "n1", "--data-dir", str(data_dir)]
    token = subprocess.run(add, check=True, capture_output=True, text=True).stdout.strip()
    try:
        yield ready, ca, token
    finally:
        stop_process(process)


def test_a_node_with_a_certificate_from_the_ca_is_served(
    secure_farm: tuple[dict[str, Any], CertAuthority, str],
) -> None:
    ready, ca, token = secure_farm
    client_cert = ca.issue("n1", server=False)

    response = requests.post(
        ready["nodes"] + "/nodes/v1/heartbeat",
        json={"state": "idle", "room": COLD_ROOM},
        headers={"Authorization": token},
        cert=(str(client_cert[0]), str(client_cert[1])),
        verify=str(ca.cert_path),
        timeout=10,
    )

    assert response.status_code == 200, response.text
    assert ready["nodes"] != ready["url"] and ready["url"].startswith("https://")


def test_a_node_without_a_valid_certificate_is_refused(
    secure_farm: tuple[dict[str, Any], CertAuthority, str], tmp_path: Path
) -> None:
    ready, ca, token = secure_farm
    stranger = CertAuthority.create(tmp_path / "..", name="Unknown CA").issue("n1", server=False)
    call: dict[str, Any] = {"json": {"state": "idle"}, "headers": {"Authorization": token}, "timeout": 10}

    # With TLS 1.3 the client may finish its half of the handshake before the server refuses it, so
    # the refusal shows as an SSL error or as the connection being dropped (SSLError is a ConnectionError).
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(ready["nodes"] + "/nodes/v1/heartbeat", verify=str(ca.cert_path), **call)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            ready["nodes"] + "/nodes/v1/heartbeat",
            verify=str(ca.cert_path),
            cert=(str(stranger[0]), str(stranger[1])),
            **call,
        )
    on_public_port = requests.post(ready["url"] + "/nodes/v1/heartbeat", verify=str(ca.cert_path), **call)
    assert on_public_port.status_code == 403 and "mTLS" in on_public_port.json()["message"]


def test_users_reach_the_api_over_https_without_a_client_certificate(
    secure_farm: tuple[dict[str, Any], CertAuthority, str],
) -> None:
    ready, ca, _ = secure_farm
    creds = json.loads(Path(ready["credentials"]).read_text())

    info = requests.get(
        ready["url"] + "/info", headers={"Authorization": creds["token"]}, verify=str(ca.cert_path)
    )

    assert info.status_code == 200 and info.json()["email"] == creds["email"]
