"""tasks, instances, pools and jobs (PLACEHOLDER, being written)

Revision ID: 0003_tasks
Revises: 0002_storage
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0003_tasks"
down_revision = "0002_storage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
