"""Small helpers for end-to-end tests: upload a scene, submit a task, follow events, find node processes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import requests

from backend.node.worker_process import READY_PROCESS_NAME
from render_client.events import EventStream, FarmEvent

DEFAULT_TIMEOUT_S = 240.0
FINAL_STATES = ("Success", "Failure", "Cancelled")


class Farm:
    def __init__(self, ready: dict[str, Any], email: str, token: str) -> None:
        self.url = ready["url"]
        self.storage = ready["storage"]
        self.email = email
        self.token = token
        self.s3 = boto3.client(
            "s3", endpoint_url=self.storage, aws_access_key_id=email, aws_secret_access_key=token,
            region_name="us-east-1",
        )  # fmt: skip

    @classmethod
    def from_ready(cls, ready: dict[str, Any]) -> Farm:
        """The farm a `HEARTH_READY` line announced, logged in with its local account."""
        creds = json.loads(Path(ready["credentials"]).read_text())
        return cls(ready, creds["email"], creds["token"])

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, self.url + path, headers={"Authorization": self.token}, timeout=30, **kwargs
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else response
        )

    def upload_folder(self, bucket: str, folder: Path) -> None:
        self.s3.create_bucket(Bucket=bucket)
        for path in folder.rglob("*"):
            if path.is_file():
                self.s3.upload_file(str(path), bucket, path.relative_to(folder).as_posix())

    def submit(self, name: str, frames: str, scene_bucket: str, blend: str, **constants: str) -> str:
        self.s3.create_bucket(Bucket=f"{scene_bucket}-out")
        body = {
            "name": name,
            "profile": "blender",
            "advancedRanges": frames,
            "constants": [{"key": "BLEND_FILE", "value": blend}]
            + [{"key": k, "value": v} for k, v in constants.items()],
            "advancedResourceBuckets": [{"bucketName": scene_bucket}],
            "resultBucket": f"{scene_bucket}-out",
        }
        return str(self.api("POST", "/tasks", json=body)["uuid"])

    def task(self, uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", f"/tasks/{uuid}")
        return result

    def wait_final(self, uuid: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
        first_event(
            self,
            lambda e: e.task == uuid and e.kind == "task-state" and e.data["state"] in FINAL_STATES,
            timeout_s,
        )
        return self.task(uuid)

    def result_keys(self, uuid: str) -> list[str]:
        bucket = self.task(uuid)["resultBucket"]
        listing = self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(o["Key"] for o in listing)


def first_event(
    farm: Farm, predicate: Callable[[FarmEvent], bool], timeout_s: float = DEFAULT_TIMEOUT_S
) -> FarmEvent:
    """Replays the log from the start and returns the first event matching `predicate`."""
    found: list[FarmEvent] = []
    matched = threading.Event()

    def check(event: FarmEvent) -> None:
        if not matched.is_set() and predicate(event):
            found.append(event)
            matched.set()

    stream = EventStream(farm.url, farm.token, last_event_id=0)
    stream.start(check)
    try:
        assert matched.wait(timeout_s), f"the expected event did not come within {timeout_s} s"
    finally:
        stream.close()
    return found[0]


def node_pid(server_pid: int, name: str) -> int:
    """The pid of the local heater node `name` that the farm process started."""
    for pid, cmdline in _children(server_pid):
        if b"backend.node" in cmdline and name.encode() in cmdline:
            return pid
    raise LookupError(f"no node process {name} under {server_pid}")


def _children(pid: int) -> list[tuple[int, list[bytes]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append((int(entry.name), cmdline))
    return found


def node_worker_pids(node: int, *, waiting: bool = False) -> list[int]:
    """Blender workers the heater node process `node` started for work (and, with `waiting`, the one
    started ahead of work that waits for a task)."""
    return [
        pid
        for pid, cmdline in _children(node)
        if any(part.endswith(b"worker.py") for part in cmdline) and (waiting or not _waiting(pid))
    ]


def ready_worker_pids(node: int) -> list[int]:
    """Blender workers the heater node process `node` started ahead of work, waiting for a task."""
    return [pid for pid in node_worker_pids(node, waiting=True) if _waiting(pid)]


def _waiting(pid: int) -> bool:
    """A worker started ahead of work names itself hearth-ready until it gets a job (worker.py)."""
    return process_name(pid) == READY_PROCESS_NAME


def process_name(pid: int) -> str:
    """The name `ps` shows for `pid` (/proc/PID/comm); empty once the process is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """True while `pid` is a live process (not gone, not a zombie awaiting its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout_s} s"
        time.sleep(0.05)  # polling a condition with a deadline


def worker_pids(server_pid: int) -> list[int]:
    """Blender workers currently running under the farm's local nodes."""
    return [pid for node, _ in _children(server_pid) for pid in node_worker_pids(node)]
