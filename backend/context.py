"""FarmContext: the long-lived services one server process shares between its endpoints."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from backend.accounts.secrets import load_or_create_server_key
from backend.accounts.service import AccountService
from backend.config import STORAGE_PATH_PREFIX, Settings
from backend.db.session import Database
from backend.events.bus import EventBus
from backend.fleet.registry import NodeRegistry
from backend.previews.store import PreviewStore
from backend.scheduler.service import Scheduler
from backend.storage.buckets import BucketRegistry
from backend.storage.engine import StorageEngine
from backend.storage.factory import make_storage_engine


@dataclass
class FarmContext:
    settings: Settings
    db: Database
    accounts: AccountService
    storage: StorageEngine
    buckets: BucketRegistry
    events: EventBus
    fleet: NodeRegistry
    scheduler: Scheduler
    previews: PreviewStore
    base_url: str = field(default="")
    node_url: str = field(default="")  # where heater nodes connect: base_url, or the mTLS listener
    # The mTLS listeners' ports: when set, node routes are refused on any other listener.
    node_ports: frozenset[int] = frozenset()
    # Set when the server stops: long polls answer at once instead of holding the shutdown up.
    shutting_down: threading.Event = field(default_factory=threading.Event)

    @property
    def storage_url(self) -> str:
        return self.base_url + STORAGE_PATH_PREFIX

    def close(self) -> None:
        self.db.dispose()


def build_context(settings: Settings) -> FarmContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    accounts = AccountService(db, load_or_create_server_key(settings.data_dir))
    storage = make_storage_engine(settings, db)
    events = EventBus(db)
    return FarmContext(
        settings=settings,
        db=db,
        accounts=accounts,
        storage=storage,
        buckets=BucketRegistry(db),
        events=events,
        fleet=NodeRegistry(db),
        scheduler=Scheduler(
            db,
            events,
            storage,
            heat_wait_s=settings.heat_wait_s,
            heartbeat_timeout=timedelta(seconds=settings.heartbeat_timeout_s),
        ),
        previews=PreviewStore(settings.data_dir / "previews"),
        base_url=settings.base_url(),
    )
