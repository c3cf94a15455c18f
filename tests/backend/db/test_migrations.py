"""The Alembic migrations build exactly the schema the table classes describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import backend.db.models  # noqa: F401  (registers every table)
from backend.db.base import Base
from backend.db.session import Database


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"write a migration for: {diff}"


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    with db.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    assert "accounts" in inspect(db.engine).get_table_names()


def test_upgrading_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    Database(url).dispose()
    Database(url).dispose()
