"""Imports every table module so that Base.metadata knows all tables (for Alembic and tests)."""

from backend.accounts import tables as _accounts  # noqa: F401
from backend.events import tables as _events  # noqa: F401
from backend.fleet import tables as _fleet  # noqa: F401
from backend.scheduler import tables as _scheduler  # noqa: F401
from backend.storage import tables as _storage  # noqa: F401
from backend.tasks import tables as _tasks  # noqa: F401
