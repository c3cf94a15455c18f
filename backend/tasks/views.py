"""Builds the public task document (qarnot-api.md 5.2) from a task row and its instances."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.tasks.schemas.common import KeyValue, RetrySettings, qarnot_date
from backend.tasks.schemas.tasks import (
    CompletedInstance,
    PerRunningInstanceInfo,
    RunningInstancesInfo,
    TaskError,
    TaskPublic,
    TaskStatus,
)
from backend.tasks.states import ACTIVE_INSTANCE_STATES, InstanceState
from backend.tasks.tables import Task, TaskInstance
from render_client.frames import format_frames

INSTANCE_RESULT_STATE = {InstanceState.DONE: "Success", InstanceState.FAILED: "Failure"}


def timespan(seconds: float) -> str:
    """A .NET TimeSpan string `[d.]hh:mm:ss`, the format the SDK passes through for durations."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def instance_counts(session: Session, task: Task) -> Counter[InstanceState]:
    """How many of the task's instances are in each state (one GROUP BY, whatever the frame count)."""
    rows = session.execute(
        select(TaskInstance.state, func.count())
        .where(TaskInstance.task_id == task.id)
        .group_by(TaskInstance.state)
    ).all()
    return Counter({InstanceState(state): count for state, count in rows})


SHOWN_INSTANCE_STATES = (*ACTIVE_INSTANCE_STATES, *INSTANCE_RESULT_STATE)


def _started_instances(session: Session, task: Task) -> list[TaskInstance]:
    # Only running and completed instances appear in the document; skipping queued, dispatched and
    # cancelled ones keeps big tasks cheap to read.
    return list(
        session.scalars(
            select(TaskInstance)
            .where(
                TaskInstance.task_id == task.id,
                TaskInstance.state.in_([s.value for s in SHOWN_INSTANCE_STATES]),
            )
            .order_by(TaskInstance.instance_id)
        )
    )


def _completed(instance: TaskInstance) -> CompletedInstance:
    wall = 0.0
    if instance.started_at and instance.finished_at:
        wall = (instance.finished_at - instance.started_at).total_seconds()
    return CompletedInstance(
        instance_id=instance.instance_id,
        state=INSTANCE_RESULT_STATE[InstanceState(instance.state)],
        wall_time_sec=wall,
        exec_time_sec=instance.exec_time_s,
        exec_time_sec_ghz=0.0,
        peak_memory_mb=0,
        average_ghz=0.0,
        results=list(instance.results),
        execution_attempt_count=instance.attempt_count,
    )


def _running(instance: TaskInstance) -> PerRunningInstanceInfo:
    return PerRunningInstanceInfo(
        phase="execution" if instance.state == InstanceState.RUNNING else "upload",
        instance_id=instance.instance_id,
        progress=instance.progress,
        execution_time_sec=instance.exec_time_s,
        execution_attempt_count=instance.attempt_count,
    )


def _status(task: Task, counts: Counter[InstanceState], started: list[TaskInstance]) -> TaskStatus:
    finished = [i for i in started if i.state in INSTANCE_RESULT_STATE]
    running = [i for i in started if i.state in ACTIVE_INSTANCE_STATES]
    total = max(task.instance_count, 1)
    progress = (len(finished) + sum(i.progress / 100.0 for i in running)) * 100.0 / total
    now = qarnot_date(utcnow()) or ""
    exec_time = sum(i.exec_time_s for i in started)
    return TaskStatus(
        download_progress=100.0 if started else 0.0,
        execution_progress=round(progress, 2),
        upload_progress=round(len(finished) * 100.0 / total, 2),
        instance_count=sum(counts.get(s, 0) for s in ACTIVE_INSTANCE_STATES),
        execution_time_sec=exec_time,
        wall_time_sec=((task.ended_at or utcnow()) - task.created_at).total_seconds(),
        succeeded_range=format_frames(i.instance_id for i in finished if i.state == InstanceState.DONE),
        executed_range=format_frames(i.instance_id for i in finished),
        failed_range=format_frames(i.instance_id for i in finished if i.state == InstanceState.FAILED),
        last_update_timestamp=now,
        running_instances_info=RunningInstancesInfo(
            timestamp=now, per_running_instance_info=[_running(i) for i in running]
        ),
    )


def task_public(session: Session, task: Task) -> TaskPublic:
    counts = instance_counts(session, task)
    started = _started_instances(session, task)
    status = _status(task, counts, started)
    extra: dict[str, Any] = task.extra
    retry = RetrySettings(
        max_total_retries=task.max_total_retries, max_per_instance_retries=task.max_per_instance_retries
    )
    return TaskPublic(
        uuid=task.uuid,
        name=task.name,
        shortname=task.shortname,
        profile=task.profile,
        pool_uuid=task.pool_uuid,
        job_uuid=task.job_uuid,
        state=task.state,
        previous_state=task.previous_state,
        state_transition_time=qarnot_date(task.state_changed_at),
        previous_state_transition_time=qarnot_date(task.previous_state_changed_at),
        creation_date=qarnot_date(task.created_at) or "",
        last_modified=qarnot_date(task.updated_at),
        end_date=qarnot_date(task.ended_at),
        instance_count=task.instance_count,
        advanced_ranges=task.advanced_ranges,
        running_instance_count=status.instance_count,
        running_core_count=0,
        results_count=task.results_count,
        result_bucket=task.result_bucket,
        advanced_resource_buckets=list(task.resource_buckets),
        resource_buckets=list(extra.get("resourceBuckets", [])),
        constants=[KeyValue(key=c["key"], value=c["value"]) for c in task.constants],
        tags=task.tag_names,
        labels=dict(task.labels),
        errors=[TaskError(**e) for e in task.errors],
        completed_instances=[_completed(i) for i in started if i.state in INSTANCE_RESULT_STATE],
        status=status,
        progress=status.execution_progress,
        execution_time=timespan(status.execution_time_sec),
        wall_time=timespan(status.wall_time_sec),
        snapshot_interval=task.snapshot_interval_s or 0,
        upload_results_on_cancellation=task.upload_results_on_cancellation,
        auto_delete_on_completion=bool(extra.get("autoDeleteOnCompletion", False)),
        completion_time_to_live=str(extra.get("completionTimeToLive") or "00:00:00"),
        hardware_constraints=list(extra.get("hardwareConstraints", [])),
        forced_network_rules=list(extra.get("forcedNetworkRules", [])),
        privileges=dict(extra.get("privileges") or {"exportApiAndStorageCredentialsInEnvironment": False}),
        retry_settings=retry,
        # Advanced dependency outputs need states the farm does not track yet; echo plain uuids only.
        dependencies={
            "dependsOn": list((extra.get("dependencies") or {}).get("dependsOn", [])),
            "advancedDependsOn": [],
        },
        hearth_priority=task.priority,
        hearth_policy=task.policy,
        hearth_deadline=qarnot_date(task.deadline),
    )
