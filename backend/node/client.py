"""NodeClient: the agent's side of the node protocol (backend/fleet/protocol.py), over HTTP(S)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from backend.fleet.protocol import (
    ClaimRequest,
    ClaimResponse,
    CompleteReport,
    FailReport,
    ProgressReport,
    RoomState,
)

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
LONG_POLL_MARGIN_S = 15.0
DOWNLOAD_BLOCK_BYTES = 1024 * 1024


class NodeClientError(Exception):
    """Base of the agent's transport errors."""


class ServerUnavailableError(NodeClientError):
    """Network down, server restarting, or a 5xx: worth retrying later."""


class ServerRejectedError(NodeClientError):
    """The server said no (4xx); retrying the same request will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TlsConfig:
    ca: str | None = None  # CA bundle that signs the server certificate
    cert: str | None = None  # client certificate (mTLS)
    key: str | None = None


class NodeClient:
    def __init__(self, server: str, token: str, tls: TlsConfig | None = None) -> None:
        self._base = server.rstrip("/") + "/nodes/v1"
        self._session = requests.Session()
        self._session.headers["Authorization"] = token
        tls = tls or TlsConfig()
        # Given on every request: requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE override a session's
        # `verify`, which would silently swap the farm's CA for the system bundle.
        self._verify: str | bool = tls.ca or True
        self._cert: str | tuple[str, str] | None = None
        if tls.cert:
            self._cert = (tls.cert, tls.key) if tls.key else tls.cert

    def _call(
        self, method: str, path: str, *, read_timeout_s: float = READ_TIMEOUT_S, **kwargs: Any
    ) -> requests.Response:
        try:
            response = self._session.request(
                method,
                self._base + path,
                timeout=(CONNECT_TIMEOUT_S, read_timeout_s),
                verify=self._verify,
                cert=self._cert,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise ServerUnavailableError(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise ServerUnavailableError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise ServerRejectedError(f"{method} {path}: {message}", response.status_code)
        return response

    def _ok(self, path: str, body: dict[str, Any] | None = None) -> bool:
        return bool(self._call("POST", path, json=body or {}).json().get("ok", False))

    def close(self) -> None:
        self._session.close()

    def heartbeat(self, telemetry: dict[str, Any]) -> None:
        self._call("POST", "/heartbeat", json=telemetry)

    def claim(self, room: RoomState, speed: float, wait_s: float) -> ClaimResponse | None:
        body = ClaimRequest(room=room, speed=speed, wait_s=wait_s).model_dump()
        response = self._call("POST", "/claim", json=body, read_timeout_s=wait_s + LONG_POLL_MARGIN_S)
        if response.status_code == 204:
            return None
        return ClaimResponse.model_validate(response.json())

    def started(self, attempt_id: int) -> bool:
        return self._ok(f"/attempts/{attempt_id}/started")

    def progress(self, attempt_id: int, done: int, total: int, percent: float) -> bool:
        body = ProgressReport(done=done, total=total, percent=max(0.0, min(100.0, percent))).model_dump()
        return self._ok(f"/attempts/{attempt_id}/progress", body)

    def watch(self, attempt_id: int, wait_s: float) -> bool:
        """True when the node must stop this attempt."""
        response = self._call(
            "GET",
            f"/attempts/{attempt_id}/watch",
            params={"wait_s": wait_s},
            read_timeout_s=wait_s + LONG_POLL_MARGIN_S,
        )
        return bool(response.json().get("cancel", False))

    def download(self, attempt_id: int, bucket: str, key: str, dest: Path, expected_etag: str) -> None:
        """Streams an input to `dest` atomically, checking its MD5 when the ETag is a plain MD5."""
        response = self._call("GET", f"/attempts/{attempt_id}/objects/{bucket}/{key}", stream=True)
        temp = dest.with_name(dest.name + ".part")
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with response, open(temp, "wb") as handle:
                for block in response.iter_content(DOWNLOAD_BLOCK_BYTES):
                    digest.update(block)
                    handle.write(block)
        except requests.RequestException as exc:
            temp.unlink(missing_ok=True)
            raise ServerUnavailableError(f"download of {bucket}/{key} broke off: {exc}") from exc
        if "-" not in expected_etag and digest.hexdigest() != expected_etag:
            temp.unlink(missing_ok=True)
            raise ServerUnavailableError(f"download of {bucket}/{key} arrived corrupted (MD5 mismatch)")
        os.replace(temp, dest)

    def upload_output(self, attempt_id: int, name: str, path: Path, content_type: str) -> str:
        with open(path, "rb") as handle:
            response = self._call(
                "PUT",
                f"/attempts/{attempt_id}/outputs/{name}",
                data=handle,
                headers={"Content-Type": content_type},
            )
        return str(response.json()["etag"])

    def upload_preview(self, attempt_id: int, kind: str, path: Path) -> bool:
        response = self._call(
            "PUT", f"/attempts/{attempt_id}/previews/{kind}", data=path.read_bytes(),
            headers={"Content-Type": "image/jpeg"},
        )  # fmt: skip
        return bool(response.json().get("ok", False))

    def complete(self, attempt_id: int, report: CompleteReport) -> bool:
        return self._ok(f"/attempts/{attempt_id}/complete", report.model_dump())

    def fail(self, attempt_id: int, report: FailReport) -> bool:
        return self._ok(f"/attempts/{attempt_id}/fail", report.model_dump())
