"""Scheduler service: idempotent claims, retries, blocklists, lost nodes and task states."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.accounts.service import AccountService
from backend.db.session import Database
from backend.events.bus import EventBus, EventKind
from backend.fleet.registry import NodeRegistry
from backend.scheduler.placement import NodeView
from backend.scheduler.service import FrameReport, Scheduler
from backend.storage.engine import ObjectInfo, ObjectPage
from backend.tasks.states import InstanceState, TaskState
from backend.tasks.tables import Task, TaskInstance


class OneBucketStorage:
    """Just enough storage for input manifests: one bucket with a scene and a texture."""

    def list_objects(self, bucket: str, **_: Any) -> ObjectPage:
        when = datetime.now(UTC)
        objects = [
            ObjectInfo("scene.blend", 10, "a" * 32, when),
            ObjectInfo("textures/wood.png", 5, "b" * 32, when),
        ]
        return ObjectPage(objects, [], False, None)


@pytest.fixture
def farm(tmp_path: Path) -> tuple[Database, Scheduler, EventBus, int]:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    account = AccountService(db, b"k" * 32).create_account("a@b.org").account_id
    events = EventBus(db)
    scheduler = Scheduler(db, events, OneBucketStorage(), heat_wait_s=30.0)  # type: ignore[arg-type]
    return db, scheduler, events, account


def add_task(db: Database, account: int, frames: list[int], **fields: Any) -> str:
    task_uuid = str(uuid.uuid4())
    with db.transaction() as session:
        task = Task(
            uuid=task_uuid,
            account_id=account,
            name="shot",
            profile="blender",
            instance_count=len(frames),
            advanced_ranges=",".join(map(str, frames)),
            result_bucket="out",
            resource_buckets=[{"bucketName": "scene"}],
            constants=[{"key": "BLEND_FILE", "value": "scene.blend"}],
            **fields,
        )
        session.add(task)
        session.flush()
        for frame in frames:
            session.add(TaskInstance(task_id=task.id, instance_id=frame))
    return task_uuid


def cold(name: str) -> NodeView:
    return NodeView(name, room_c=17.0, setpoint_c=20.0, wants_heat=True, predicted_overshoot_k=0.0)


def task_state(db: Database, task_uuid: str) -> tuple[str, int]:
    from sqlalchemy import select

    with db.transaction() as session:
        task = session.scalars(select(Task).where(Task.uuid == task_uuid)).one()
        return task.state, task.results_count


def report(frame: int) -> FrameReport:
    return FrameReport([f"frame_{frame:04d}.png"], 1.5, 0.02, "tdp-model", 0.4)


def test_a_claim_carries_the_frame_constants_and_inputs_and_is_idempotent(farm: Any) -> None:
    db, scheduler, _, account = farm
    task_uuid = add_task(db, account, [1, 2])

    claim = scheduler.offer("n1", cold("n1"))
    again = scheduler.offer("n1", cold("n1"))

    assert claim is not None and again == claim
    assert (claim.task_uuid, claim.frame, claim.attempt) == (task_uuid, 1, 1)
    assert claim.constants["BLEND_FILE"] == "scene.blend"
    assert [f.path for f in claim.inputs] == ["scene.blend", "textures/wood.png"]
    assert task_state(db, task_uuid)[0] == TaskState.PARTIALLY_DISPATCHED


def test_frames_complete_into_success_with_results_counted(farm: Any) -> None:
    db, scheduler, events, account = farm
    task_uuid = add_task(db, account, [1, 2])

    for node in ("n1", "n2"):
        claim = scheduler.offer(node, cold(node))
        assert claim is not None
        assert scheduler.started(node, claim.attempt_id)
        assert scheduler.progress(node, claim.attempt_id, 8, 16, 50.0)
        assert scheduler.complete(node, claim.attempt_id, report(claim.frame))

    assert task_state(db, task_uuid) == (TaskState.SUCCESS, 2)
    kinds = [e.kind for e in events.since(account, 0)]
    assert kinds.count(EventKind.FRAME_DONE) == 2 and EventKind.FRAME_PROGRESS in kinds
    assert [e.data["state"] for e in events.since(account, 0) if e.kind == EventKind.TASK_STATE][
        -1
    ] == "Success"


def test_a_stale_report_is_ignored(farm: Any) -> None:
    db, scheduler, _, account = farm
    add_task(db, account, [1])
    claim = scheduler.offer("n1", cold("n1"))
    assert claim is not None

    assert not scheduler.complete("n2", claim.attempt_id, report(1))
    assert scheduler.complete("n1", claim.attempt_id, report(1))
    assert not scheduler.complete("n1", claim.attempt_id, report(1))


def test_a_failing_frame_is_retried_on_other_nodes_then_fails_the_task(farm: Any) -> None:
    db, scheduler, _, account = farm
    task_uuid = add_task(db, account, [7], max_per_instance_retries=1)

    first = scheduler.offer("n1", cold("n1"))
    assert first is not None and scheduler.fail("n1", first.attempt_id, "Blender crashed")
    assert task_state(db, task_uuid)[0] != TaskState.FAILURE
    second = scheduler.offer("n2", cold("n2"))
    assert second is not None and second.attempt == 2
    assert scheduler.fail("n2", second.attempt_id, "Blender crashed again")

    state, _ = task_state(db, task_uuid)
    assert state == TaskState.FAILURE
    with db.transaction() as session:
        task = session.query(Task).filter_by(uuid=task_uuid).one()
        assert "frame 7: Blender crashed again" in task.errors[-1]["message"]


def test_a_failed_frame_goes_to_the_other_waiting_node_even_if_its_room_is_warmer(farm: Any) -> None:
    db, scheduler, _, account = farm
    add_task(db, account, [7], max_per_instance_retries=2)
    coldest = NodeView("n1", room_c=15.0, setpoint_c=20.0, wants_heat=True, predicted_overshoot_k=0.0)
    first = scheduler.offer("n1", coldest)
    assert first is not None and scheduler.offer("n2", cold("n2")) is None  # n2 now waits too
    assert scheduler.fail("n1", first.attempt_id, "Blender crashed")

    assert scheduler.offer("n1", coldest) is None
    retry = scheduler.offer("n2", cold("n2"))

    assert retry is not None and (retry.frame, retry.attempt) == (7, 2)


def test_a_node_that_fails_three_frames_of_a_task_is_blocklisted(farm: Any) -> None:
    db, scheduler, _, account = farm
    add_task(db, account, [1, 2, 3, 4], max_per_instance_retries=5)
    for _ in range(3):
        claim = scheduler.offer("bad", cold("bad"))
        assert claim is not None
        scheduler.fail("bad", claim.attempt_id, "out of memory")

    assert scheduler.offer("bad", cold("bad")) is None
    assert scheduler.offer("good", cold("good")) is not None


def test_frames_of_a_silent_node_are_requeued_and_rendered_elsewhere(farm: Any) -> None:
    db, scheduler, _, account = farm
    registry = NodeRegistry(db)
    registry.add("n1")
    add_task(db, account, [1])
    identity = registry.authenticate(registry.add("n1", replace_token=True))
    assert identity is not None
    registry.heartbeat(identity.id, {"state": "rendering"})
    claim = scheduler.offer("n1", cold("n1"))
    assert claim is not None

    assert scheduler.requeue_lost() == []
    later = datetime.now(UTC) + timedelta(seconds=31)
    assert scheduler.requeue_lost(now=later) == [(claim.task_uuid, 1)]
    assert not scheduler.is_current("n1", claim.attempt_id)
    retry = scheduler.offer("n2", cold("n2"))
    assert retry is not None and retry.frame == 1 and retry.attempt == 2


def test_a_warm_room_gets_no_frame_until_the_heat_wait_expires(farm: Any) -> None:
    db, scheduler, _, account = farm
    add_task(db, account, [1])
    warm = NodeView("warm", room_c=22.0, setpoint_c=20.0, wants_heat=False, predicted_overshoot_k=2.0)

    assert scheduler.offer("warm", warm) is None
    scheduler.heat_wait_s = 0.0
    claim = scheduler.offer("warm", warm)
    assert claim is not None and not claim.heat_wanted


def test_instances_of_a_cancelled_task_are_not_dispatched(farm: Any) -> None:
    db, scheduler, _, account = farm
    task_uuid = add_task(db, account, [1])
    with db.transaction() as session:
        task = session.query(Task).filter_by(uuid=task_uuid).one()
        task.state = TaskState.CANCELLED
        for instance in task.instances:
            instance.state = InstanceState.CANCELLED

    assert scheduler.offer("n1", cold("n1")) is None
