"""BucketRegistry: which account owns which bucket (the database is the single source of truth)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from backend.db.session import Database
from backend.storage.tables import Bucket


class BucketTakenError(Exception):
    """The bucket name belongs to another account."""


@dataclass(frozen=True)
class BucketRecord:
    name: str
    account_id: int
    created_at: datetime


_OWNER = select(Bucket.account_id).where(Bucket.name == bindparam("name"))
OWNER_CACHE_TTL_S = 1.0


class BucketRegistry:
    """Answers ownership from a short-lived cache: every S3 request asks, buckets rarely change hands.

    This process forgets an entry as soon as it creates or deletes that bucket; a change made by
    another server process on the same database is seen within OWNER_CACHE_TTL_S.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._owners: dict[str, tuple[float, int | None]] = {}

    def owner_of(self, bucket: str) -> int | None:
        """The owning account id, or None when no such bucket exists."""
        now = time.monotonic()
        cached = self._owners.get(bucket)
        if cached is not None and now - cached[0] < OWNER_CACHE_TTL_S:
            return cached[1]
        with self._db.engine.connect() as connection:
            owner: int | None = connection.scalar(_OWNER, {"name": bucket})
        with self._lock:
            if len(self._owners) > 10_000:
                self._owners.clear()
            self._owners[bucket] = (now, owner)
        return owner

    def _forget(self, bucket: str) -> None:
        with self._lock:
            self._owners.pop(bucket, None)

    def create(self, bucket: str, account_id: int) -> bool:
        """Records a new bucket; False if this account already owns it; BucketTaken for another owner."""
        self._forget(bucket)
        try:
            with self._db.transaction() as session:
                session.add(Bucket(name=bucket, account_id=account_id))
            return True
        except IntegrityError:
            owner = self.owner_of(bucket)
            if owner == account_id:
                return False
            if owner is None:  # deleted between our insert and our check: the caller may retry
                raise
            raise BucketTakenError(bucket) from None

    def delete(self, bucket: str) -> None:
        with self._db.transaction() as session:
            session.execute(delete(Bucket).where(Bucket.name == bucket))
        self._forget(bucket)

    def get(self, bucket: str) -> BucketRecord | None:
        with self._db.transaction() as session:
            row = session.scalar(select(Bucket).where(Bucket.name == bucket))
            return None if row is None else BucketRecord(row.name, row.account_id, row.created_at)

    def list_for(self, account_id: int) -> list[BucketRecord]:
        with self._db.transaction() as session:
            rows = session.scalars(
                select(Bucket).where(Bucket.account_id == account_id).order_by(Bucket.name)
            )
            return [BucketRecord(r.name, r.account_id, r.created_at) for r in rows]
