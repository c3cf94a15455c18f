"""tasks, instances, logs, snapshots, pools and jobs

Revision ID: 0003_tasks
Revises: 0002_storage
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.db.base import UtcDateTime

revision = "0003_tasks"
down_revision = "0002_storage"
branch_labels = None
depends_on = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], name=f"fk_{table}_account_id_accounts", ondelete="CASCADE"
    )


def _task_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["task_id"], ["tasks.id"], name=f"fk_{table}_task_id_tasks", ondelete="CASCADE"
    )


def _create_tasks() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("shortname", sa.String(512), nullable=True),
        sa.Column("profile", sa.String(128), nullable=True),
        sa.Column("pool_uuid", sa.String(36), nullable=True),
        sa.Column("job_uuid", sa.String(36), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("previous_state", sa.String(32), nullable=True),
        sa.Column("state_changed_at", UtcDateTime(), nullable=False),
        sa.Column("previous_state_changed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("advanced_ranges", sa.Text(), nullable=True),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("result_bucket", sa.String(255), nullable=True),
        sa.Column("results_count", sa.Integer(), nullable=False),
        sa.Column("resource_buckets", sa.JSON(), nullable=False),
        sa.Column("constants", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("max_total_retries", sa.Integer(), nullable=True),
        sa.Column("max_per_instance_retries", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=True),
        sa.Column("upload_results_on_cancellation", sa.Boolean(), nullable=False),
        sa.Column("snapshot_interval_s", sa.Integer(), nullable=True),
        sa.Column("resources_version", sa.Integer(), nullable=False),
        _account_fk("tasks"),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.UniqueConstraint("uuid", name="uq_tasks_uuid"),
    )
    op.create_index("ix_tasks_account_id", "tasks", ["account_id"])
    op.create_index("ix_tasks_pool_uuid", "tasks", ["pool_uuid"])
    op.create_index("ix_tasks_job_uuid", "tasks", ["job_uuid"])
    op.create_index("ix_tasks_state", "tasks", ["state"])
    op.create_table(
        "task_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        _task_fk("task_tags"),
        sa.PrimaryKeyConstraint("id", name="pk_task_tags"),
    )
    op.create_index("ix_task_tags_task_id", "task_tags", ["task_id"])
    op.create_index("ix_task_tags_tag_task_id", "task_tags", ["tag", "task_id"])


def _create_instances() -> None:
    op.create_table(
        "task_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(128), nullable=True),
        sa.Column("dispatched_at", UtcDateTime(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("exec_time_s", sa.Float(), nullable=False),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("reused_energy_wh", sa.Float(), nullable=True),
        sa.Column("energy_method", sa.String(32), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("stdout_tail", sa.Text(), nullable=False),
        sa.Column("stdout_total", sa.Integer(), nullable=False),
        sa.Column("stderr_tail", sa.Text(), nullable=False),
        sa.Column("stderr_total", sa.Integer(), nullable=False),
        _task_fk("task_instances"),
        sa.PrimaryKeyConstraint("id", name="pk_task_instances"),
        sa.UniqueConstraint("task_id", "instance_id", name="uq_task_instances_task_id_instance_id"),
    )
    op.create_index("ix_task_instances_task_id", "task_instances", ["task_id"])
    op.create_index("ix_task_instances_state_task_id", "task_instances", ["state", "task_id"])
    op.create_table(
        "task_log_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(8), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _task_fk("task_log_cursors"),
        sa.PrimaryKeyConstraint("id", name="pk_task_log_cursors"),
        sa.UniqueConstraint("task_id", "stream", "scope", "instance_id", name="uq_task_log_cursors_key"),
    )
    op.create_index("ix_task_log_cursors_task_id", "task_log_cursors", ["task_id"])
    op.create_table(
        "task_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("triggered_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("size_to_upload", sa.Integer(), nullable=False),
        sa.Column("transferred_size", sa.Integer(), nullable=False),
        _task_fk("task_snapshots"),
        sa.PrimaryKeyConstraint("id", name="pk_task_snapshots"),
        sa.UniqueConstraint("uuid", name="uq_task_snapshots_uuid"),
    )
    op.create_index("ix_task_snapshots_task_id", "task_snapshots", ["task_id"])


def _create_pools_and_jobs() -> None:
    op.create_table(
        "pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("shortname", sa.String(512), nullable=True),
        sa.Column("profile", sa.String(128), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("instance_count", sa.Integer(), nullable=False),
        sa.Column("constants", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("resource_buckets", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _account_fk("pools"),
        sa.PrimaryKeyConstraint("id", name="pk_pools"),
        sa.UniqueConstraint("uuid", name="uq_pools_uuid"),
    )
    op.create_index("ix_pools_account_id", "pools", ["account_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("shortname", sa.String(512), nullable=True),
        sa.Column("pool_uuid", sa.String(36), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("use_dependencies", sa.Boolean(), nullable=False),
        sa.Column("max_wall_time", sa.String(64), nullable=True),
        sa.Column("auto_delete", sa.Boolean(), nullable=False),
        sa.Column("completion_ttl", sa.String(64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _account_fk("jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("uuid", name="uq_jobs_uuid"),
    )
    op.create_index("ix_jobs_account_id", "jobs", ["account_id"])


def upgrade() -> None:
    _create_tasks()
    _create_instances()
    _create_pools_and_jobs()


def downgrade() -> None:
    tables = ("jobs", "pools", "task_snapshots", "task_log_cursors", "task_instances", "task_tags", "tasks")
    for table in tables:
        op.drop_table(table)
