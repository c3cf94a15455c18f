"""Tables for tasks, their frame instances, logs, snapshots, pools and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, UtcDateTime, utcnow
from backend.tasks.states import InstanceState, TaskState


class Task(Base):
    """A Qarnot task: one render job of a scene, split into instances (one per frame)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    shortname: Mapped[str | None] = mapped_column(String(512), nullable=True)
    profile: Mapped[str | None] = mapped_column(String(128), nullable=True)
    pool_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    job_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(32), default=TaskState.SUBMITTED.value, index=True)
    previous_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    state_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    previous_state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Exactly one of the two is the user's intent; instance_count is always the number of instances.
    advanced_ranges: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_count: Mapped[int] = mapped_column(Integer)
    result_bucket: Mapped[str | None] = mapped_column(String(255), nullable=True)
    results_count: Mapped[int] = mapped_column(Integer, default=0)
    # The submitted advancedResourceBuckets objects, echoed back verbatim.
    resource_buckets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    constants: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Every other submitted key, echoed back unchanged (privileges, hardwareConstraints, ...).
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    max_total_retries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_per_instance_retries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    policy: Mapped[str] = mapped_column(String(32), default="heat-first")
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    upload_results_on_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Bumped by PATCH (update_resources) so nodes know to re-sync resource buckets.
    resources_version: Mapped[int] = mapped_column(Integer, default=0)

    tags: Mapped[list[TaskTag]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True, order_by="TaskTag.id"
    )
    instances: Mapped[list[TaskInstance]] = relationship(
        back_populates="task",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TaskInstance.instance_id",
    )

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class TaskTag(Base):
    """One tag of a task, in its own table so tag filters run in SQL."""

    __tablename__ = "task_tags"
    __table_args__ = (Index("ix_task_tags_tag_task_id", "tag", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(255))
    task: Mapped[Task] = relationship(back_populates="tags")


class TaskInstance(Base):
    """One instance of a task, i.e. one frame, with its attempts, placement, energy and logs."""

    __tablename__ = "task_instances"
    __table_args__ = (
        UniqueConstraint("task_id", "instance_id", name="uq_task_instances_task_id_instance_id"),
        Index("ix_task_instances_state_task_id", "state", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(Integer)  # the frame number for ranged tasks
    state: Mapped[str] = mapped_column(String(16), default=InstanceState.QUEUED.value)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    node_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    exec_time_s: Mapped[float] = mapped_column(Float, default=0.0)
    energy_wh: Mapped[float | None] = mapped_column(Float, nullable=True)
    reused_energy_wh: Mapped[float | None] = mapped_column(Float, nullable=True)
    energy_method: Mapped[str | None] = mapped_column(String(32), nullable=True)  # "rapl", "model", ...
    results: Mapped[list[str]] = mapped_column(JSON, default=list)  # result bucket keys
    # Bounded tails; *_total counts every character ever appended so readers can keep cursors.
    stdout_tail: Mapped[str] = mapped_column(Text, default="")
    stdout_total: Mapped[int] = mapped_column(Integer, default=0)
    stderr_tail: Mapped[str] = mapped_column(Text, default="")
    stderr_total: Mapped[int] = mapped_column(Integer, default=0)
    task: Mapped[Task] = relationship(back_populates="instances")


class LogCursor(Base):
    """How far `POST .../stdout|stderr[/{instance}]` (fresh output) has read one instance's stream."""

    __tablename__ = "task_log_cursors"
    __table_args__ = (
        UniqueConstraint("task_id", "stream", "scope", "instance_id", name="uq_task_log_cursors_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(8))  # stdout | stderr
    scope: Mapped[str] = mapped_column(String(8))  # task (all instances) | instance
    instance_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Snapshot(Base):
    """An instant snapshot request: upload the instances' current outputs (previews)."""

    __tablename__ = "task_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # Triggered | InProgress | Success | Failure
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    triggered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    size_to_upload: Mapped[int] = mapped_column(Integer, default=0)
    transferred_size: Mapped[int] = mapped_column(Integer, default=0)


class Pool(Base):
    """A Qarnot pool: reserved slots that tasks may run in (a minimal, compatible subset)."""

    __tablename__ = "pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    shortname: Mapped[str | None] = mapped_column(String(512), nullable=True)
    profile: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(32))
    instance_count: Mapped[int] = mapped_column(Integer)
    constants: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    resource_buckets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Job(Base):
    """A Qarnot job: a named group of tasks, optionally inside a pool."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    shortname: Mapped[str | None] = mapped_column(String(512), nullable=True)
    pool_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    state: Mapped[str] = mapped_column(String(32))
    use_dependencies: Mapped[bool] = mapped_column(Boolean, default=False)
    max_wall_time: Mapped[str | None] = mapped_column(String(64), nullable=True)
    auto_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    completion_ttl: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
