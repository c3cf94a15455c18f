"""Imports every table module so that Base.metadata knows all tables (for Alembic and tests)."""

from backend.accounts import tables as _accounts  # noqa: F401
