"""The event log table: every event has a global, increasing id that clients resume from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow


class EventRecord(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_account_id_id", "account_id", "id"),)

    # Integer (not BigInteger) so SQLite makes it the autoincrementing rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None = visible to every account (node telemetry for the fleet view).
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    task_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
