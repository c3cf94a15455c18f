"""EventBus: publish events into the log and wake the streams waiting for them.

Events are written to the database so that a client reconnecting with Last-Event-ID misses
nothing, even across server restarts. Streams in this process are woken at once; streams in
other server processes notice new rows on their next poll.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.session import Database
from backend.events.tables import EventRecord

EVENT_RETENTION = timedelta(hours=24)
REPLAY_BATCH = 500


class EventKind:
    TASK_STATE = "task-state"
    FRAME_PROGRESS = "frame-progress"
    PREVIEW_READY = "preview-ready"
    FRAME_DONE = "frame-done"
    FRAME_FAILED = "frame-failed"
    NODE_TELEMETRY = "node-telemetry"
    CARBON_FACTS = "carbon-facts"


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    task_uuid: str | None
    data: dict[str, Any]
    created_at: datetime


class EventBus:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def record(
        self,
        session: Session,
        kind: str,
        data: dict[str, Any],
        *,
        account_id: int | None,
        task_uuid: str | None = None,
    ) -> None:
        """Adds an event in the caller's transaction: it exists exactly when the change it reports does.

        Call `notify()` after the transaction commits.
        """
        session.add(EventRecord(account_id=account_id, kind=kind, task_uuid=task_uuid, data=data))

    def publish(
        self, kind: str, data: dict[str, Any], *, account_id: int | None, task_uuid: str | None = None
    ) -> None:
        with self._db.transaction() as session:
            self.record(session, kind, data, account_id=account_id, task_uuid=task_uuid)
        self.notify()

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def latest_id(self) -> int:
        with self._db.transaction() as session:
            return session.scalar(select(EventRecord.id).order_by(EventRecord.id.desc()).limit(1)) or 0

    def since(self, account_id: int, after_id: int, limit: int = REPLAY_BATCH) -> list[Event]:
        """Events after `after_id` that this account may see, oldest first."""
        query = (
            select(EventRecord)
            .where(EventRecord.id > after_id)
            .where(or_(EventRecord.account_id == account_id, EventRecord.account_id.is_(None)))
            .order_by(EventRecord.id)
            .limit(limit)
        )
        with self._db.transaction() as session:
            return [Event(r.id, r.kind, r.task_uuid, r.data, r.created_at) for r in session.scalars(query)]

    async def wait(self, timeout_s: float) -> None:
        """Returns when something is published in this process, or after the timeout."""
        loop = asyncio.get_running_loop()
        entry = (loop, asyncio.Event())
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def prune(self, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - EVENT_RETENTION
        with self._db.transaction() as session:
            result = session.execute(delete(EventRecord).where(EventRecord.created_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)
