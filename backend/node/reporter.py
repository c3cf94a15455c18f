"""Reporter: sends progress and previews from its own thread, so Blender's output is never held up.

Progress is coalesced (only the latest value per attempt is sent) and previews are sent in order.
Losing a progress update is harmless; the final report goes through the agent, which retries.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from backend.node.client import NodeClient, NodeClientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgressUpdate:
    attempt_id: int
    done: int
    total: int
    percent: float


@dataclass(frozen=True)
class PreviewUpload:
    attempt_id: int
    kind: str
    path: Path


class Reporter:
    def __init__(self, client: NodeClient) -> None:
        self._client = client
        self._queue: queue.Queue[ProgressUpdate | PreviewUpload | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="node-reporter", daemon=True)
        self._thread.start()

    def progress(self, update: ProgressUpdate) -> None:
        self._queue.put(update)

    def preview(self, upload: PreviewUpload) -> None:
        self._queue.put(upload)

    def flush(self) -> None:
        """Waits until everything queued so far has been sent (or given up)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _next(self) -> ProgressUpdate | PreviewUpload | None:
        item = self._queue.get()
        # Skip progress that a newer update of the same attempt already supersedes.
        while isinstance(item, ProgressUpdate):
            try:
                newer = self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
            if not (isinstance(newer, ProgressUpdate) and newer.attempt_id == item.attempt_id):
                self._send(item)
            item = newer
        return item

    def _send(self, item: ProgressUpdate | PreviewUpload) -> None:
        try:
            if isinstance(item, ProgressUpdate):
                self._client.progress(item.attempt_id, item.done, item.total, item.percent)
            elif item.path.exists():
                self._client.upload_preview(item.attempt_id, item.kind, item.path)
        except (NodeClientError, OSError) as exc:
            log.info("could not send %s: %s", type(item).__name__, exc)

    def _run(self) -> None:
        while True:
            item = self._next()
            try:
                if item is None:
                    return
                self._send(item)
            finally:
                self._queue.task_done()
