"""Housekeeping: the server's periodic chores (lost nodes, stale fleet entries, old events)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from backend.context import FarmContext

TICK_S = 1.0
PRUNE_EVERY_S = 3600.0

log = logging.getLogger(__name__)


class Housekeeping:
    def __init__(self, ctx: FarmContext) -> None:
        self._ctx = ctx
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farm-housekeeping", daemon=True)
        self._last_prune = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def tick(self) -> None:
        ctx = self._ctx
        timeout = timedelta(seconds=ctx.settings.heartbeat_timeout_s)
        for task_uuid, frame in ctx.scheduler.requeue_lost():
            log.warning("requeued frame %s of task %s: its node stopped answering", frame, task_uuid)
        ctx.fleet.mark_stale_offline(timeout)
        if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
            ctx.events.prune()
            self._last_prune = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.tick()
            except Exception:  # a chore failing must not stop the others
                log.exception("housekeeping failed; retrying in %s s", TICK_S)
