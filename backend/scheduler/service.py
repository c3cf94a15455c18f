"""Scheduler: hands frames to nodes (claims), records what nodes report, and recovers lost work.

Every state change happens in one short transaction together with the events that announce it.
Claims are serialised in-process and guarded in SQL (`WHERE state = 'queued'`), so a frame is
never given to two nodes; a node that asks again gets its current frame back.
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.carbon.task_facts import task_carbon_facts
from backend.db.base import utcnow
from backend.db.session import Database
from backend.events.bus import EventBus, EventKind
from backend.fleet.tables import Node
from backend.scheduler.inputs import InputFile, input_manifest
from backend.scheduler.placement import Assignment, FrameView, NodeView, Policy, place
from backend.scheduler.tables import AttemptOutcome, FrameAttempt
from backend.storage.engine import StorageEngine
from backend.tasks.states import FINAL_TASK_STATES, InstanceState, TaskState, derive_task_state
from backend.tasks.tables import Task, TaskInstance

DEFAULT_PER_INSTANCE_RETRIES = 2
BLOCKLIST_AFTER_FAILURES = 3
MAX_LOST_ATTEMPTS = 5
QUEUE_SCAN_LIMIT = 2000
LOG_TAIL_CHARS = 64 * 1024
ERROR_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Claim:
    """One frame handed to one node."""

    attempt_id: int
    task_uuid: str
    frame: int
    attempt: int
    constants: dict[str, str]
    inputs: list[InputFile]
    heat_wanted: bool


@dataclass(frozen=True)
class AttemptContext:
    task_uuid: str
    account_id: int
    frame: int
    resource_buckets: frozenset[str]
    result_bucket: str | None


@dataclass(frozen=True)
class FrameReport:
    """What a node reports when a frame is rendered and its outputs are uploaded."""

    outputs: list[str]
    render_time_s: float
    energy_it_wh: float
    energy_method: str
    energy_uncertainty: float
    stdout: str = ""


class Scheduler:
    def __init__(
        self,
        db: Database,
        events: EventBus,
        storage: StorageEngine,
        *,
        heat_wait_s: float = 30.0,
        heartbeat_timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        self._db = db
        self._events = events
        self._storage = storage
        self.heat_wait_s = heat_wait_s
        self.heartbeat_timeout = heartbeat_timeout
        self._lock = threading.Lock()
        self._waiting: dict[str, NodeView] = {}

    # -- claims -------------------------------------------------------------------------------

    def offer(self, node_name: str, view: NodeView) -> Claim | None:
        """Gives the node its current frame, or a new one if placement picks it, else None.

        Until it gets a frame or calls `stop_waiting`, the node counts as free, so placement can
        weigh it against the other nodes that are waiting.
        """
        with self._lock:
            self._waiting[node_name] = view
            with self._db.transaction() as session:
                claim = self._current_claim(session, node_name)
                if claim is None:
                    claim = self._dispatch(session, node_name)
            if claim is not None:
                self._waiting.pop(node_name, None)
        if claim is not None:
            self._events.notify()
        return claim

    def stop_waiting(self, node_name: str) -> None:
        """The node's long poll ended: placement must not count it as free any more."""
        with self._lock:
            self._waiting.pop(node_name, None)

    def waiting_nodes(self) -> list[str]:
        with self._lock:
            return sorted(self._waiting)

    def _current_claim(self, session: Session, node_name: str) -> Claim | None:
        row = session.execute(
            select(FrameAttempt, TaskInstance, Task)
            .join(TaskInstance, FrameAttempt.instance_pk == TaskInstance.id)
            .join(Task, Task.id == TaskInstance.task_id)
            .where(FrameAttempt.node_name == node_name, FrameAttempt.outcome == AttemptOutcome.RUNNING)
            .where(TaskInstance.node_id == node_name)
            .where(TaskInstance.state.in_([InstanceState.DISPATCHED, InstanceState.RUNNING]))
            .order_by(FrameAttempt.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        attempt, instance, task = row
        return self._claim_for(attempt, instance, task)

    def _claim_for(self, attempt: FrameAttempt, instance: TaskInstance, task: Task) -> Claim:
        constants = {c["key"]: str(c.get("value") or "") for c in task.constants}
        return Claim(
            attempt_id=attempt.id,
            task_uuid=task.uuid,
            frame=instance.instance_id,
            attempt=attempt.attempt,
            constants=constants,
            inputs=input_manifest(self._storage, list(task.resource_buckets)),
            heat_wanted=attempt.heat_wanted,
        )

    def _dispatch(self, session: Session, node_name: str) -> Claim | None:
        frames = self._queued_frames(session)
        if not frames:
            return None
        running = self._running_by_account(session)
        assignments = place(
            frames, list(self._waiting.values()), running_by_account=running, max_wait_s=self.heat_wait_s
        )
        mine = next((a for a in assignments if a.node_id == node_name), None)
        if mine is None:
            return None
        return self._assign(session, mine)

    def _assign(self, session: Session, assignment: Assignment) -> Claim | None:
        taken = session.execute(
            update(TaskInstance)
            .where(TaskInstance.id == assignment.frame_id, TaskInstance.state == InstanceState.QUEUED)
            .values(
                state=InstanceState.DISPATCHED,
                node_id=assignment.node_id,
                attempt_count=TaskInstance.attempt_count + 1,
                dispatched_at=utcnow(),
                progress=0.0,
            )
        )
        if not getattr(taken, "rowcount", 0):
            return None
        instance = session.get(TaskInstance, assignment.frame_id)
        assert instance is not None
        session.refresh(instance)
        view = self._waiting.get(assignment.node_id)
        attempt = FrameAttempt(
            instance_pk=instance.id,
            task_id=instance.task_id,
            node_name=assignment.node_id,
            attempt=instance.attempt_count,
            heat_wanted=assignment.heat_wanted,
            room_c=view.room_c if view else None,
            setpoint_c=view.setpoint_c if view else None,
        )
        session.add(attempt)
        session.flush()
        self._refresh_task(session, instance.task)
        return self._claim_for(attempt, instance, instance.task)

    def _queued_frames(self, session: Session) -> list[FrameView]:
        rows = session.execute(
            select(TaskInstance, Task)
            .join(Task, Task.id == TaskInstance.task_id)
            .where(TaskInstance.state == InstanceState.QUEUED)
            .where(Task.state.not_in([s.value for s in FINAL_TASK_STATES]))
            .where(Task.profile == "blender")
            .order_by(Task.priority.desc(), Task.id, TaskInstance.instance_id)
            .limit(QUEUE_SCAN_LIMIT)
        ).all()
        if not rows:
            return []
        task_ids = {task.id for _, task in rows}
        blocked = self._blocked_nodes(session, task_ids)
        failed = self._failed_nodes(session, {instance.id for instance, _ in rows if instance.attempt_count})
        runtimes = self._median_runtimes(session, task_ids)
        now = utcnow()
        frames = []
        for instance, task in rows:
            waited = (now - (instance.dispatched_at or task.created_at)).total_seconds()
            if instance.attempt_count:
                waited = max(waited, self.heat_wait_s)  # a retried frame does not wait for heat again
            frames.append(
                FrameView(
                    frame_id=instance.id,
                    task_id=task.id,
                    account_id=task.account_id,
                    frame=instance.instance_id,
                    queued_for_s=waited,
                    priority=task.priority,
                    policy=Policy(task.policy)
                    if task.policy in Policy._value2member_map_
                    else Policy.HEAT_FIRST,
                    deadline_in_s=(task.deadline - now).total_seconds() if task.deadline else None,
                    estimated_runtime_s=runtimes.get(task.id, 0.0),
                    blocked_nodes=frozenset(blocked.get(task.id, ())),
                    failed_nodes=frozenset(failed.get(instance.id, ())),
                )
            )
        return frames

    @staticmethod
    def _blocked_nodes(session: Session, task_ids: set[int]) -> dict[int, set[str]]:
        rows = session.execute(
            select(FrameAttempt.task_id, FrameAttempt.node_name)
            .where(FrameAttempt.task_id.in_(task_ids), FrameAttempt.outcome == AttemptOutcome.FAILED)
            .group_by(FrameAttempt.task_id, FrameAttempt.node_name)
            .having(func.count() >= BLOCKLIST_AFTER_FAILURES)
        ).all()
        blocked: dict[int, set[str]] = {}
        for task_id, node_name in rows:
            blocked.setdefault(task_id, set()).add(node_name)
        return blocked

    @staticmethod
    def _failed_nodes(session: Session, instance_pks: set[int]) -> dict[int, set[str]]:
        """The nodes each frame failed on or was lost with, so its retry can go elsewhere."""
        if not instance_pks:
            return {}
        rows = session.execute(
            select(FrameAttempt.instance_pk, FrameAttempt.node_name)
            .where(FrameAttempt.instance_pk.in_(instance_pks))
            .where(FrameAttempt.outcome.in_([AttemptOutcome.FAILED, AttemptOutcome.LOST]))
            .distinct()
        ).all()
        failed: dict[int, set[str]] = {}
        for instance_pk, node_name in rows:
            failed.setdefault(instance_pk, set()).add(node_name)
        return failed

    @staticmethod
    def _median_runtimes(session: Session, task_ids: set[int]) -> dict[int, float]:
        rows = session.execute(
            select(FrameAttempt.task_id, FrameAttempt.render_time_s).where(
                FrameAttempt.task_id.in_(task_ids), FrameAttempt.outcome == AttemptOutcome.DONE
            )
        ).all()
        by_task: dict[int, list[float]] = {}
        for task_id, seconds in rows:
            by_task.setdefault(task_id, []).append(seconds)
        return {task_id: statistics.median(values) for task_id, values in by_task.items()}

    @staticmethod
    def _running_by_account(session: Session) -> dict[int, int]:
        rows = session.execute(
            select(Task.account_id, func.count())
            .join(TaskInstance, TaskInstance.task_id == Task.id)
            .where(TaskInstance.state.in_([InstanceState.DISPATCHED, InstanceState.RUNNING]))
            .group_by(Task.account_id)
        ).all()
        return {account_id: count for account_id, count in rows}

    # -- reports from nodes -------------------------------------------------------------------

    def _attempt(
        self, session: Session, node_name: str, attempt_id: int
    ) -> tuple[FrameAttempt, TaskInstance] | None:
        """The attempt if it is still this node's current work on the frame, else None (stale report)."""
        attempt = session.get(FrameAttempt, attempt_id)
        if attempt is None or attempt.node_name != node_name or attempt.outcome != AttemptOutcome.RUNNING:
            return None
        instance = session.get(TaskInstance, attempt.instance_pk)
        if instance is None or instance.node_id != node_name or instance.attempt_count != attempt.attempt:
            return None
        if instance.state not in (InstanceState.DISPATCHED, InstanceState.RUNNING, InstanceState.UPLOADING):
            return None  # aborted, or the task was deleted under it
        return attempt, instance

    def attempt_context(self, node_name: str, attempt_id: int) -> AttemptContext | None:
        """Which task an attempt of this node belongs to, current or not (None if not this node's)."""
        with self._db.transaction() as session:
            attempt = session.get(FrameAttempt, attempt_id)
            if attempt is None or attempt.node_name != node_name:
                return None
            instance = session.get(TaskInstance, attempt.instance_pk)
            assert instance is not None
            task = instance.task
            return AttemptContext(
                task_uuid=task.uuid,
                account_id=task.account_id,
                frame=instance.instance_id,
                resource_buckets=frozenset(str(b.get("bucketName", "")) for b in task.resource_buckets),
                result_bucket=task.result_bucket,
            )

    def is_current(self, node_name: str, attempt_id: int) -> bool:
        with self._db.transaction() as session:
            return self._attempt(session, node_name, attempt_id) is not None

    def started(self, node_name: str, attempt_id: int) -> bool:
        with self._db.transaction() as session:
            found = self._attempt(session, node_name, attempt_id)
            if found is None:
                return False
            _, instance = found
            instance.state = InstanceState.RUNNING
            instance.started_at = utcnow()
            self._refresh_task(session, instance.task)
        self._events.notify()
        return True

    def progress(self, node_name: str, attempt_id: int, done: int, total: int, percent: float) -> bool:
        with self._db.transaction() as session:
            found = self._attempt(session, node_name, attempt_id)
            if found is None:
                return False
            _, instance = found
            instance.progress = max(0.0, min(100.0, percent))
            task = instance.task
            self._events.record(
                session,
                EventKind.FRAME_PROGRESS,
                {
                    "task": task.uuid,
                    "frame": instance.instance_id,
                    "node": node_name,
                    "done": done,
                    "total": total,
                    "percent": instance.progress,
                },
                account_id=task.account_id,
                task_uuid=task.uuid,
            )
        self._events.notify()
        return True

    def preview(self, node_name: str, attempt_id: int, key: str, *, final: bool) -> bool:
        with self._db.transaction() as session:
            found = self._attempt(session, node_name, attempt_id)
            if found is None and not final:
                return False
            attempt = session.get(FrameAttempt, attempt_id)
            if attempt is None:
                return False
            instance = session.get(TaskInstance, attempt.instance_pk)
            assert instance is not None
            task = instance.task
            self._events.record(
                session,
                EventKind.PREVIEW_READY,
                {
                    "task": task.uuid,
                    "frame": instance.instance_id,
                    "preview": "final" if final else "progressive",
                    "key": key,
                },
                account_id=task.account_id,
                task_uuid=task.uuid,
            )
        self._events.notify()
        return True

    def complete(self, node_name: str, attempt_id: int, report: FrameReport) -> bool:
        with self._db.transaction() as session:
            found = self._attempt(session, node_name, attempt_id)
            if found is None:
                return False
            attempt, instance = found
            now = utcnow()
            attempt.outcome = AttemptOutcome.DONE
            attempt.finished_at = now
            attempt.render_time_s = report.render_time_s
            attempt.energy_it_wh = report.energy_it_wh
            attempt.energy_method = report.energy_method
            attempt.energy_uncertainty = report.energy_uncertainty
            instance.state = InstanceState.DONE
            instance.results = list(report.outputs)
            instance.finished_at = now
            instance.progress = 100.0
            instance.exit_code = 0
            instance.exec_time_s = report.render_time_s
            instance.energy_wh = (instance.energy_wh or 0.0) + report.energy_it_wh
            instance.energy_method = report.energy_method
            self._append_log(instance, report.stdout)
            task = instance.task
            task.results_count = self._results_count(session, task.id)
            self._events.record(
                session,
                EventKind.FRAME_DONE,
                {
                    "task": task.uuid,
                    "frame": instance.instance_id,
                    "node": node_name,
                    "renderTimeS": report.render_time_s,
                    "energyWh": report.energy_it_wh,
                    "energyMethod": report.energy_method,
                    "energyUncertainty": report.energy_uncertainty,
                    "outputs": list(report.outputs),
                    "heatWanted": attempt.heat_wanted,
                },
                account_id=task.account_id,
                task_uuid=task.uuid,
            )
            # Before the state change, so a client that stops listening at Success has the final facts.
            self._record_carbon(session, task)
            self._refresh_task(session, task)
        self._events.notify()
        return True

    def _record_carbon(self, session: Session, task: Task) -> None:
        """The task's carbon facts so far, for live panels (the full document is at /carbon/v1/...)."""
        facts = task_carbon_facts(session, task.id)
        self._events.record(
            session,
            EventKind.CARBON_FACTS,
            {
                "task": task.uuid,
                "energyItWh": facts.total_energy_it_wh,
                "heatReusedWh": facts.heat_reused_wh,
                "footprintG": facts.qarnot_carbon_footprint_g,
                "equivalentDatacenterG": facts.equivalent_dc_carbon_footprint_g,
                "savedG": facts.saved_carbon_footprint_compute_heat_g,
                "savedPercent": facts.saved_carbon_footprint_percent,
                "roomHoursHeated": facts.room_hours_heated,
                "method": facts.method,
                "uncertainty": facts.uncertainty,
            },
            account_id=task.account_id,
            task_uuid=task.uuid,
        )

    def fail(self, node_name: str, attempt_id: int, message: str, stdout: str = "", stderr: str = "") -> bool:
        with self._db.transaction() as session:
            found = self._attempt(session, node_name, attempt_id)
            if found is None:
                return False
            attempt, instance = found
            attempt.outcome = AttemptOutcome.FAILED
            attempt.finished_at = utcnow()
            attempt.error = message[:ERROR_MESSAGE_CHARS]
            self._append_log(instance, stdout, stderr)
            task = instance.task
            retry = self._may_retry(session, task, instance)
            instance.state = InstanceState.QUEUED if retry else InstanceState.FAILED
            instance.node_id = None if retry else node_name
            if not retry:
                instance.finished_at = utcnow()
                instance.exit_code = 1
                task.errors = [
                    *task.errors,
                    {
                        "code": "frame-failed",
                        "message": f"frame {instance.instance_id}: {message}"[:ERROR_MESSAGE_CHARS],
                        "debug": f"node {node_name}, attempt {attempt.attempt}",
                    },
                ]
            self._events.record(
                session,
                EventKind.FRAME_FAILED,
                {
                    "task": task.uuid,
                    "frame": instance.instance_id,
                    "node": node_name,
                    "message": message,
                    "willRetry": retry,
                },
                account_id=task.account_id,
                task_uuid=task.uuid,
            )
            self._refresh_task(session, task)
        self._events.notify()
        return True

    def _may_retry(self, session: Session, task: Task, instance: TaskInstance) -> bool:
        failures = Counter(
            session.scalars(
                select(FrameAttempt.instance_pk).where(
                    FrameAttempt.task_id == task.id, FrameAttempt.outcome == AttemptOutcome.FAILED
                )
            ).all()
        )
        per_instance = task.max_per_instance_retries
        per_instance = DEFAULT_PER_INSTANCE_RETRIES if per_instance is None else per_instance
        if failures[instance.id] > per_instance:
            return False
        total = task.max_total_retries
        return total is None or sum(failures.values()) <= total

    # -- recovery -----------------------------------------------------------------------------

    def requeue_lost(self, now: datetime | None = None) -> list[tuple[str, int]]:
        """Requeues frames whose node stopped heartbeating; returns (task uuid, frame) pairs."""
        now = now or utcnow()
        cutoff = now - self.heartbeat_timeout
        requeued: list[tuple[str, int]] = []
        with self._lock, self._db.transaction() as session:
            rows = session.execute(
                select(FrameAttempt, TaskInstance, Node)
                .join(TaskInstance, FrameAttempt.instance_pk == TaskInstance.id)
                .join(Node, Node.name == FrameAttempt.node_name, isouter=True)
                .where(FrameAttempt.outcome == AttemptOutcome.RUNNING)
            ).all()
            for attempt, instance, node in rows:
                seen = node.last_seen if node is not None else None
                if seen is not None and seen >= cutoff:
                    continue
                if seen is None and attempt.dispatched_at >= cutoff:
                    continue
                attempt.finished_at = now
                if instance.state not in (InstanceState.DISPATCHED, InstanceState.RUNNING):
                    attempt.outcome = AttemptOutcome.CANCELLED  # the frame ended without this node
                    continue
                attempt.outcome = AttemptOutcome.LOST
                lost = session.scalar(
                    select(func.count()).where(
                        FrameAttempt.instance_pk == instance.id, FrameAttempt.outcome == AttemptOutcome.LOST
                    )
                )
                task = instance.task
                if (lost or 0) >= MAX_LOST_ATTEMPTS:
                    instance.state = InstanceState.FAILED
                    task.errors = [
                        *task.errors,
                        {
                            "code": "node-lost",
                            "message": f"frame {instance.instance_id}: its node was lost {lost} times",
                            "debug": "",
                        },
                    ]
                else:
                    instance.state = InstanceState.QUEUED
                    instance.node_id = None
                requeued.append((task.uuid, instance.instance_id))
                self._refresh_task(session, task)
        if requeued:
            self._events.notify()
        return requeued

    # -- task bookkeeping ---------------------------------------------------------------------

    @staticmethod
    def _results_count(session: Session, task_id: int) -> int:
        results = session.scalars(
            select(TaskInstance.results).where(
                TaskInstance.task_id == task_id, TaskInstance.state == InstanceState.DONE
            )
        ).all()
        return sum(len(r) for r in results)

    def _refresh_task(self, session: Session, task: Task) -> None:
        """Re-derives the task state from its instances and announces a change."""
        if TaskState(task.state) in FINAL_TASK_STATES:
            return
        session.flush()
        counts = {
            InstanceState(state): count
            for state, count in session.execute(
                select(TaskInstance.state, func.count())
                .where(TaskInstance.task_id == task.id)
                .group_by(TaskInstance.state)
            ).all()
        }
        new_state = derive_task_state(counts)
        if new_state.value == task.state:
            return
        now = utcnow()
        task.previous_state, task.state = task.state, new_state.value
        task.previous_state_changed_at, task.state_changed_at = task.state_changed_at, now
        task.updated_at = now
        if new_state in FINAL_TASK_STATES:
            task.ended_at = now
        done = counts.get(InstanceState.DONE, 0)
        self._events.record(
            session,
            EventKind.TASK_STATE,
            {
                "task": task.uuid,
                "state": new_state.value,
                "previousState": task.previous_state,
                "framesDone": done,
                "framesTotal": sum(counts.values()),
                "resultsCount": task.results_count,
            },
            account_id=task.account_id,
            task_uuid=task.uuid,
        )

    @staticmethod
    def _append_log(instance: TaskInstance, stdout: str, stderr: str = "") -> None:
        if stdout:
            instance.stdout_tail = (instance.stdout_tail + stdout)[-LOG_TAIL_CHARS:]
            instance.stdout_total += len(stdout)
        if stderr:
            instance.stderr_tail = (instance.stderr_tail + stderr)[-LOG_TAIL_CHARS:]
            instance.stderr_total += len(stderr)
