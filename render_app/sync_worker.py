"""Child process that packs and syncs one scene, so upload threads never compete with the GUI for the GIL."""

# Protocol: one JSON job on stdin (the token travels by pipe, never argv or a file); a "cancel" line
# on stdin cancels; stdout carries one JSON object per line: {"progress": ...}, then {"done": ...} or
# {"error": ...}.
from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

SYNC_WORKERS = 16


def _say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    cancel.set()  # "cancel", or the app closed our stdin / went away


def run(job: dict[str, Any]) -> int:
    from render_client.packing import build_package, trace
    from render_client.sync import sync_package
    from render_client.transfer import StorageAccess, ensure_bucket, s3_client

    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(cancel,), daemon=True).start()
    try:
        report = trace(Path(job["scene"]))
        package = build_package(report, Path(job["staging"]), allow_missing=bool(job.get("allow_missing")))
        access = StorageAccess(job["url"], job["access_key"], job["secret_key"], job.get("verify", True))
        s3 = s3_client(access, max_pool_connections=SYNC_WORKERS + 4)
        ensure_bucket(s3, job["bucket"])
        result = sync_package(s3, job["bucket"], package, cancel=cancel, workers=SYNC_WORKERS,
                              progress=lambda snap: _say({"progress": asdict(snap)}))  # fmt: skip
    except Exception as exc:  # reported to the app, which shows it next to the scene
        _say({"error": str(exc), "cancelled": cancel.is_set()})
        return 1
    _say({"done": asdict(result)})
    return 0


def main() -> int:
    return run(json.loads(sys.stdin.readline()))


if __name__ == "__main__":
    sys.exit(main())
