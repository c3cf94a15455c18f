"""Persistence: SQLAlchemy tables, sessions and Alembic migrations."""

from backend.db.base import Base
from backend.db.session import Database

__all__ = ["Base", "Database"]
