"""EventBus: per-account visibility, resumable ids, wake-ups and pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from backend.accounts.service import AccountService
from backend.db.base import utcnow
from backend.db.session import Database
from backend.events.bus import EventBus, EventKind


@pytest.fixture
def bus_and_accounts(tmp_path: Path) -> tuple[EventBus, int, int]:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    accounts = AccountService(db, b"k" * 32)
    first = accounts.create_account("a@b.org").account_id
    second = accounts.create_account("c@d.org").account_id
    return EventBus(db), first, second


def test_each_account_sees_its_own_events_and_broadcasts(bus_and_accounts: tuple[EventBus, int, int]) -> None:
    bus, first, second = bus_and_accounts
    bus.publish(EventKind.TASK_STATE, {"state": "Submitted"}, account_id=first, task_uuid="t1")
    bus.publish(EventKind.TASK_STATE, {"state": "Submitted"}, account_id=second, task_uuid="t2")
    bus.publish(EventKind.NODE_TELEMETRY, {"node": "n1"}, account_id=None)

    mine = bus.since(first, 0)

    assert [(e.kind, e.task_uuid) for e in mine] == [("task-state", "t1"), ("node-telemetry", None)]
    assert mine[0].id < mine[1].id


def test_resuming_after_an_id_replays_only_what_followed(bus_and_accounts: tuple[EventBus, int, int]) -> None:
    bus, first, _ = bus_and_accounts
    for n in range(5):
        bus.publish(EventKind.FRAME_PROGRESS, {"percent": n * 20}, account_id=first, task_uuid="t1")
    seen = bus.since(first, 0)

    resumed = bus.since(first, seen[1].id)

    assert [e.data["percent"] for e in resumed] == [40, 60, 80]
    assert bus.latest_id() == seen[-1].id


def test_a_waiting_stream_wakes_on_publish(bus_and_accounts: tuple[EventBus, int, int]) -> None:
    bus, first, _ = bus_and_accounts

    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        waiter = asyncio.create_task(bus.wait(timeout_s=30.0))
        await asyncio.sleep(0)  # let the waiter register before publishing
        started = loop.time()
        await asyncio.to_thread(bus.publish, EventKind.TASK_STATE, {}, account_id=first)
        await asyncio.wait_for(waiter, 5.0)
        return loop.time() - started

    assert asyncio.run(scenario()) < 5.0


def test_prune_drops_old_events_only(bus_and_accounts: tuple[EventBus, int, int]) -> None:
    bus, first, _ = bus_and_accounts
    bus.publish(EventKind.TASK_STATE, {}, account_id=first)

    assert bus.prune(now=utcnow()) == 0
    assert bus.prune(now=utcnow() + timedelta(days=2)) == 1
    assert bus.since(first, 0) == []
