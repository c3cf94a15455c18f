"""TaskService: the task operations of the API, each in one short transaction, scoped to one account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.carbon.task_facts import UnknownDatacenterError, facts_json, task_carbon_facts
from backend.db.base import utcnow
from backend.db.session import Database
from backend.events.bus import EventBus, EventKind
from backend.previews.store import PreviewStore
from backend.tasks import logs, snapshots, submit
from backend.tasks.buckets import check_bucket_name, check_key_prefix, check_owned
from backend.tasks.errors import InvalidRequestError, NotAllowedError, NotFoundError, TaskDomainError
from backend.tasks.filters import compile_filter, parse_filter
from backend.tasks.paging import decode_token, encode_token, page_size
from backend.tasks.schemas.common import Page, PageRequest
from backend.tasks.schemas.tasks import (
    BulkSubmitResult,
    SnapshotPublic,
    SnapshotRequest,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
)
from backend.tasks.states import (
    FINAL_INSTANCE_STATES,
    InstanceState,
    TaskState,
    derive_task_state,
    is_final,
    state_after_abort,
)
from backend.tasks.tables import Task, TaskInstance, TaskTag
from backend.tasks.views import instance_counts, task_public


def set_state(task: Task, state: TaskState) -> None:
    """Records a state change with the previous state and both transition times."""
    if task.state == state.value:
        return
    now = utcnow()
    task.previous_state, task.previous_state_changed_at = task.state, task.state_changed_at
    task.state, task.state_changed_at, task.updated_at = state.value, now, now
    if is_final(state):
        task.ended_at = now


def sync_task_state(session: Session, task: Task) -> TaskState:
    """Re-derives a task's state from its instances (for the scheduler and node service).

    A final state is kept: an aborted task stays Cancelled even if a node reports late.
    """
    if is_final(task.state):
        return TaskState(task.state)
    state = derive_task_state(instance_counts(session, task))
    set_state(task, state)
    return state


def _tag_clause(flt: dict[str, object] | None) -> ColumnElement[bool]:
    parsed = parse_filter(flt)
    if parsed is None:
        return true()

    def has_tag(tag: str) -> ColumnElement[bool]:
        return exists().where(TaskTag.task_id == Task.id, TaskTag.tag == tag)

    return compile_filter(
        parsed, has_tag, lambda parts: and_(true(), *parts), lambda parts: or_(*parts) if parts else true()
    )


class TaskService:
    def __init__(
        self,
        db: Database,
        submit_context: submit.SubmitContext,
        events: EventBus | None = None,
        previews: PreviewStore | None = None,
    ) -> None:
        self._db = db
        self._submit = submit_context
        self._events = events
        self._previews = previews

    def announce(self, session: Session, task: Task) -> None:
        """Records a task-state event in the caller's transaction (same shape as the scheduler's)."""
        if self._events is None:
            return
        counts = instance_counts(session, task)
        data = {
            "task": task.uuid,
            "state": task.state,
            "previousState": task.previous_state,
            "framesDone": counts[InstanceState.DONE],
            "framesTotal": sum(counts.values()),
            "resultsCount": task.results_count,
        }
        self._events.record(
            session, EventKind.TASK_STATE, data, account_id=task.account_id, task_uuid=task.uuid
        )

    def notify_listeners(self) -> None:
        # Wakes /events listeners; only after the commit, so they read what the event reports.
        if self._events is not None:
            self._events.notify()

    @staticmethod
    def _task(session: Session, account_id: int, task_uuid: str) -> Task:
        task = session.scalar(select(Task).where(Task.uuid == task_uuid, Task.account_id == account_id))
        if task is None:
            raise NotFoundError(f"no task {task_uuid}")
        return task

    def create(self, account_id: int, body: TaskCreate) -> str:
        with self._db.transaction() as session:
            task = submit.create_task(session, self._submit, account_id, body)
            self.announce(session, task)
        self.notify_listeners()
        return task.uuid

    def create_many(self, account_id: int, bodies: list[TaskCreate]) -> list[BulkSubmitResult]:
        """Bulk submit: each task succeeds or fails on its own, results in request order."""
        results = []
        for body in bodies:
            try:
                results.append(
                    BulkSubmitResult(status_code=201, uuid=self.create(account_id, body), message=None)
                )
            except TaskDomainError as exc:
                code = 404 if isinstance(exc, NotFoundError) else 400
                results.append(BulkSubmitResult(status_code=code, uuid=None, message=str(exc)))
        return results

    def require(self, account_id: int, task_uuid: str) -> None:
        """Raises NotFoundError unless the account owns the task (cheap: no task body is built)."""
        with self._db.transaction() as session:
            self._task(session, account_id, task_uuid)

    def get(self, account_id: int, task_uuid: str) -> TaskPublic:
        with self._db.transaction() as session:
            return task_public(session, self._task(session, account_id, task_uuid))

    def list_all(self, account_id: int) -> list[TaskPublic]:
        with self._db.transaction() as session:
            tasks = session.scalars(select(Task).where(Task.account_id == account_id).order_by(Task.id))
            return [task_public(session, t) for t in tasks]

    def page(self, account_id: int, kind: str, request: PageRequest) -> Page[TaskPublic]:
        after = decode_token(kind, request.filter, request.token)
        size = page_size(request.maximum_results)
        with self._db.transaction() as session:
            query = (
                select(Task)
                .where(Task.account_id == account_id, Task.id > after, _tag_clause(request.filter))
                .order_by(Task.id)
                .limit(size + 1)
            )
            tasks = list(session.scalars(query))
            truncated = len(tasks) > size
            tasks = tasks[:size]
            next_token = encode_token(kind, request.filter, tasks[-1].id) if truncated else None
            return Page[TaskPublic](
                data=[task_public(session, t) for t in tasks],
                next_token=next_token,
                is_truncated=truncated,
                token=request.token,
            )

    def update(self, account_id: int, task_uuid: str, body: TaskUpdate) -> None:
        """task.commit(): name, tags, labels, constants and retry settings may change; the work may not."""
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            if body.advanced_ranges is not None and body.advanced_ranges != task.advanced_ranges:
                raise InvalidRequestError("advancedRanges cannot change after submission; submit a new task")
            if body.result_bucket is not None and body.result_bucket != task.result_bucket:
                raise InvalidRequestError("resultBucket cannot change after submission; submit a new task")
            profile = self._submit.profiles.get(task.profile or "") if task.profile else None
            if profile is not None:
                resolved = submit.resolve(self._submit, profile, body)
                task.constants = [{"key": k, "value": v} for k, v in resolved.submitted]
                submit.apply_scheduling(task, body, resolved)
            task.name, task.shortname, task.labels = body.name, body.shortname, dict(body.labels)
            task.tags = [TaskTag(tag=t) for t in dict.fromkeys(body.tags)]
            task.updated_at = utcnow()

    def update_resources(self, account_id: int, task_uuid: str) -> None:
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            task.resources_version += 1
            task.updated_at = utcnow()

    def abort(self, account_id: int, task_uuid: str) -> None:
        with self._db.transaction() as session:
            self.abort_in(session, self._task(session, account_id, task_uuid))
        self.notify_listeners()

    def abort_in(self, session: Session, task: Task) -> None:
        """Aborts inside a caller's transaction (jobs cancel their tasks this way)."""
        if is_final(task.state):
            raise NotAllowedError(
                f"task {task.uuid} already finished ({task.state}); there is nothing to abort"
            )
        set_state(task, state_after_abort(task.state))
        unfinished = [s.value for s in InstanceState if s not in FINAL_INSTANCE_STATES]
        # One UPDATE: a 100,000-frame task must not load every instance to cancel it.
        session.execute(
            update(TaskInstance)
            .where(TaskInstance.task_id == task.id, TaskInstance.state.in_(unfinished))
            .values(state=InstanceState.CANCELLED.value, finished_at=utcnow())
        )
        self.announce(session, task)

    def delete(self, account_id: int, task_uuid: str) -> None:
        """Aborts a running task first, then forgets it (instances, logs and snapshots cascade)."""
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            if not is_final(task.state):
                self.abort_in(session, task)
            session.delete(task)
        self.notify_listeners()

    def read_log(
        self, account_id: int, task_uuid: str, stream: logs.Stream, instance_id: int | None, *, fresh: bool
    ) -> str:
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            if fresh:
                return logs.read_fresh(session, task, stream, instance_id)
            return logs.read(session, task, stream, instance_id)

    def carbon(self, account_id: int, task_uuid: str, datacenter: str | None) -> dict[str, Any]:
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            try:
                facts = task_carbon_facts(session, task.id, datacenter)
                same_grid = task_carbon_facts(session, task.id, datacenter, same_grid=True)
            except UnknownDatacenterError as exc:
                raise InvalidRequestError(str(exc)) from exc
        return facts_json(facts, same_grid)

    def snapshot(self, account_id: int, task_uuid: str, request: SnapshotRequest) -> str:
        if request.bucket is not None:
            check_bucket_name(request.bucket, "snapshot bucket")
        if request.bucket_prefix is not None:
            check_key_prefix(request.bucket_prefix, "snapshot bucketPrefix")
        with self._db.transaction() as session:
            task = self._task(session, account_id, task_uuid)
            if request.bucket is not None:
                check_owned(self._submit.buckets, account_id, request.bucket, "snapshot bucket")
            if self._previews is None:
                raise InvalidRequestError("this farm keeps no previews, so it cannot take snapshots")
            return snapshots.trigger(session, task, request, self._submit.storage, self._previews)

    def snapshot_status(self, account_id: int, task_uuid: str, snapshot_id: str) -> SnapshotPublic:
        with self._db.transaction() as session:
            return snapshots.status(session, self._task(session, account_id, task_uuid), snapshot_id)

    def periodic_snapshot(self, account_id: int, task_uuid: str, interval_s: int) -> None:
        snapshots.check_interval(interval_s)
        with self._db.transaction() as session:
            snapshots.set_periodic(self._task(session, account_id, task_uuid), interval_s)
