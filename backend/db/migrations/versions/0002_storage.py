"""storage: buckets and object metadata (PLACEHOLDER, being written)

Revision ID: 0002_storage
Revises: 0001_accounts
Create Date: 2026-11-22
"""

from __future__ import annotations

revision = "0002_storage"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
