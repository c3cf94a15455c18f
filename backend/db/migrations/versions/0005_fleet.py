"""heater nodes and frame attempts

Revision ID: 0005_fleet
Revises: 0004_events
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.db.base import UtcDateTime

revision = "0005_fleet"
down_revision = "0004_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.Column("site", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("telemetry", sa.JSON(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nodes"),
        sa.UniqueConstraint("name", name="uq_nodes_name"),
    )
    op.create_table(
        "frame_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_pk", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("node_name", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("heat_wanted", sa.Boolean(), nullable=False),
        sa.Column("dispatched_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("render_time_s", sa.Float(), nullable=False),
        sa.Column("energy_it_wh", sa.Float(), nullable=False),
        sa.Column("energy_method", sa.String(32), nullable=False),
        sa.Column("energy_uncertainty", sa.Float(), nullable=False),
        sa.Column("room_c", sa.Float(), nullable=True),
        sa.Column("setpoint_c", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_pk"],
            ["task_instances.id"],
            name="fk_frame_attempts_instance_pk_task_instances",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_frame_attempts_task_id_tasks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_frame_attempts"),
    )
    op.create_index("ix_frame_attempts_instance_pk", "frame_attempts", ["instance_pk"])
    op.create_index("ix_frame_attempts_task_id", "frame_attempts", ["task_id"])
    op.create_index("ix_frame_attempts_node_name", "frame_attempts", ["node_name"])


def downgrade() -> None:
    op.drop_table("frame_attempts")
    op.drop_table("nodes")
