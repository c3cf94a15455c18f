"""Tables for buckets (with their owner), object metadata and in-progress multipart uploads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow

# S3 keys are at most 1024 bytes of UTF-8; String(1024) is a character limit, which is at least that.
MAX_KEY_CHARS = 1024


class Bucket(Base):
    __tablename__ = "buckets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class StoredObject(Base):
    """One visible object of the local engine.

    Its content is the file named by `blob`, or, for a completed multipart upload, the part files
    listed in `segments_json` as [[blob, size], ...] in order (blob is then "").
    """

    __tablename__ = "objects"

    bucket: Mapped[str] = mapped_column(
        String(63), ForeignKey("buckets.name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger())
    etag: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(255))
    metadata_json: Mapped[str] = mapped_column(Text(), default="{}")
    checksums_json: Mapped[str] = mapped_column(Text(), default="{}")
    blob: Mapped[str] = mapped_column(String(64))
    segments_json: Mapped[str] = mapped_column(Text(), default="[]")
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MultipartUpload(Base):
    __tablename__ = "multipart_uploads"

    upload_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(
        String(63), ForeignKey("buckets.name", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS))
    content_type: Mapped[str] = mapped_column(String(255))
    metadata_json: Mapped[str] = mapped_column(Text(), default="{}")
    initiated: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class UploadPart(Base):
    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("multipart_uploads.upload_id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer(), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger())
    etag: Mapped[str] = mapped_column(String(64))
    blob: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
