"""storage: buckets and object metadata

Revision ID: 0002_storage
Revises: 0001_accounts
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.db.base import UtcDateTime

revision = "0002_storage"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buckets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_buckets_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_buckets"),
        sa.UniqueConstraint("name", name="uq_buckets_name"),
    )
    op.create_index("ix_buckets_account_id", "buckets", ["account_id"])
    op.create_table(
        "objects",
        sa.Column("bucket", sa.String(63), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("checksums_json", sa.Text(), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("segments_json", sa.Text(), nullable=False),
        sa.Column("last_modified", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"], ["buckets.name"], name="fk_objects_bucket_buckets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("bucket", "key", name="pk_objects"),
    )
    op.create_table(
        "multipart_uploads",
        sa.Column("upload_id", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(63), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("initiated", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"], ["buckets.name"], name="fk_multipart_uploads_bucket_buckets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("upload_id", name="pk_multipart_uploads"),
    )
    op.create_index("ix_multipart_uploads_bucket", "multipart_uploads", ["bucket"])
    op.create_table(
        "upload_parts",
        sa.Column("upload_id", sa.String(64), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("last_modified", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["multipart_uploads.upload_id"],
            name="fk_upload_parts_upload_id_multipart_uploads",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name="pk_upload_parts"),
    )


def downgrade() -> None:
    op.drop_table("upload_parts")
    op.drop_index("ix_multipart_uploads_bucket", table_name="multipart_uploads")
    op.drop_table("multipart_uploads")
    op.drop_table("objects")
    op.drop_index("ix_buckets_account_id", table_name="buckets")
    op.drop_table("buckets")
