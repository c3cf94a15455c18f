"""Frame attempts: each time a node takes a frame, with its outcome, timing and energy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow


class AttemptOutcome:
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    LOST = "lost"  # the node stopped answering; not the frame's fault
    CANCELLED = "cancelled"


class FrameAttempt(Base):
    __tablename__ = "frame_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_pk: Mapped[int] = mapped_column(ForeignKey("task_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    node_name: Mapped[str] = mapped_column(String(128), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), default=AttemptOutcome.RUNNING)
    error: Mapped[str] = mapped_column(Text, default="")
    heat_wanted: Mapped[bool] = mapped_column(Boolean, default=True)
    dispatched_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    render_time_s: Mapped[float] = mapped_column(Float, default=0.0)
    energy_it_wh: Mapped[float] = mapped_column(Float, default=0.0)
    energy_method: Mapped[str] = mapped_column(String(32), default="")
    energy_uncertainty: Mapped[float] = mapped_column(Float, default=0.0)
    room_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    setpoint_c: Mapped[float | None] = mapped_column(Float, nullable=True)
