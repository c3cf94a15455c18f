"""Alembic environment: runs migrations against the URL the server was given."""

from __future__ import annotations

from alembic import context

import backend.db.models  # noqa: F401  (registers every table on Base.metadata)
from backend.db.base import Base
from backend.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None

connectable = make_engine(url)
with connectable.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
connectable.dispose()
