"""Turns a submitted task body into validated rows: profile, frames, buckets, constants, scheduling."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.profiles import ConstantError, Profile, ProfileCatalog, ResolvedConstants, resolve_constants
from backend.profiles.validation import parse_deadline
from backend.storage.buckets import BucketRegistry
from backend.storage.engine import StorageEngine
from backend.tasks import buckets as bucket_checks
from backend.tasks.errors import InvalidRequestError
from backend.tasks.schemas.common import AdvancedBucket
from backend.tasks.schemas.tasks import TaskCreate
from backend.tasks.states import InstanceState, TaskState
from backend.tasks.tables import Job, Pool, Task, TaskInstance, TaskTag
from render_client.frames import FrameRangeError, parse_frames

POLICY_CONSTANT = "HEARTH_POLICY"
DEADLINE_CONSTANT = "HEARTH_DEADLINE"
PRIORITY_CONSTANT = "HEARTH_PRIORITY"
DEFAULT_POLICY = "heat-first"
MAX_TAGS = 100


@dataclass(frozen=True)
class SubmitContext:
    """What validating a submission needs from the farm."""

    storage: StorageEngine
    buckets: BucketRegistry
    profiles: ProfileCatalog
    max_frames: int


def instance_ids(body: TaskCreate, max_frames: int) -> list[int]:
    """Frame numbers for ranged tasks, 0..N-1 for counted ones (exactly one of the two is given)."""
    if body.advanced_ranges is not None and body.instance_count is not None:
        raise InvalidRequestError("give either advancedRanges or instanceCount, not both")
    if body.advanced_ranges is not None:
        try:
            return parse_frames(body.advanced_ranges, max_frames=max_frames)
        except FrameRangeError as exc:
            raise InvalidRequestError(f"advancedRanges: {exc}") from None
    if body.instance_count is None:
        raise InvalidRequestError("give the frames to render: advancedRanges (e.g. '1-250') or instanceCount")
    if not 1 <= body.instance_count <= max_frames:
        raise InvalidRequestError(f"instanceCount={body.instance_count} must be between 1 and {max_frames}")
    return list(range(body.instance_count))


def _profile_of(
    session: Session, sctx: SubmitContext, account_id: int, body: TaskCreate
) -> tuple[Profile, list[AdvancedBucket]]:
    """The task's profile and the resource buckets it inherits from its pool (none outside pools)."""
    name = body.profile
    inherited: list[AdvancedBucket] = []
    if body.pool_uuid is not None:
        pool = session.scalar(select(Pool).where(Pool.uuid == body.pool_uuid, Pool.account_id == account_id))
        if pool is None:
            raise InvalidRequestError(f"poolUuid {body.pool_uuid!r}: no such pool")
        name = pool.profile
        inherited = [AdvancedBucket.model_validate(b) for b in pool.resource_buckets]
    if not name:
        raise InvalidRequestError("profile is required (e.g. 'blender') unless the task runs in a pool")
    profile = sctx.profiles.get(name)
    if profile is None:
        raise InvalidRequestError(
            f"unknown profile {name!r}; available profiles: {', '.join(sctx.profiles.names())}"
        )
    return profile, inherited


def _check_job(session: Session, account_id: int, job_uuid: str | None) -> None:
    if job_uuid is None:
        return
    job = session.scalar(select(Job).where(Job.uuid == job_uuid, Job.account_id == account_id))
    if job is None:
        raise InvalidRequestError(f"jobUuid {job_uuid!r}: no such job")
    if job.state != "Active":
        raise InvalidRequestError(f"job {job_uuid} is {job.state}; tasks can only be added to an Active job")


def check_buckets(sctx: SubmitContext, account_id: int, body: TaskCreate) -> None:
    for bucket in body.advanced_resource_buckets:
        bucket_checks.check_bucket_name(bucket.bucket_name, "resource bucket")
        bucket_checks.check_bucket_prefixes(bucket)
    for name in body.resource_buckets:
        bucket_checks.check_bucket_name(name, "resource bucket")
    if body.result_bucket is not None:
        bucket_checks.check_bucket_name(body.result_bucket, "result bucket")
    for bucket in body.advanced_resource_buckets:
        bucket_checks.check_owned(sctx.buckets, account_id, bucket.bucket_name, "resource bucket")
    for name in body.resource_buckets:
        bucket_checks.check_owned(sctx.buckets, account_id, name, "resource bucket")
    if body.result_bucket is not None:
        bucket_checks.check_owned(sctx.buckets, account_id, body.result_bucket, "result bucket")


def resolve(
    sctx: SubmitContext, profile: Profile, body: TaskCreate, inherited: Sequence[AdvancedBucket] = ()
) -> ResolvedConstants:
    """Checks the constants against the profile and that every path constant names an existing file."""
    try:
        resolved = resolve_constants(profile, [(c.key, c.value) for c in body.constants])
    except ConstantError as exc:
        raise InvalidRequestError(str(exc)) from None
    resources = [
        *inherited,
        *body.advanced_resource_buckets,
        *(AdvancedBucket(bucket_name=n) for n in body.resource_buckets),
    ]
    for rule in profile.constants:
        value = resolved.effective.get(rule.name, "")
        if rule.kind == "path" and value:
            bucket_checks.require_resource(sctx.storage, resources, rule.name, value)
    return resolved


def _check_tags(body: TaskCreate) -> None:
    if len(body.tags) > MAX_TAGS:
        raise InvalidRequestError(f"a task may carry at most {MAX_TAGS} tags, got {len(body.tags)}")
    for tag in body.tags:
        if not tag or len(tag) > 255:
            raise InvalidRequestError(f"tag {tag[:60]!r} must be 1 to 255 characters long")


def apply_scheduling(task: Task, body: TaskCreate, resolved: ResolvedConstants) -> None:
    """Copies the scheduler-facing settings (priority, policy, deadline, retries) onto the row."""
    task.priority = (
        body.hearth_priority if body.hearth_priority is not None else resolved.integer(PRIORITY_CONSTANT, 0)
    )
    task.policy = resolved.effective.get(POLICY_CONSTANT) or DEFAULT_POLICY
    task.deadline = parse_deadline(resolved.effective.get(DEADLINE_CONSTANT, ""))
    retry = body.retry_settings
    task.max_total_retries = retry.max_total_retries if retry else None
    task.max_per_instance_retries = retry.max_per_instance_retries if retry else None


EXTRA_KEYS = (
    "wait_for_pool_resources_synchronization",
    "dependencies",
    "project_uuid",
    "forced_constants",
    "constraints",
    "max_time_queue_seconds",
    "results_cache_ttl_sec",
    "snapshot_whitelist",
    "snapshot_blacklist",
    "results_whitelist",
    "results_blacklist",
    "auto_delete_on_completion",
    "completion_time_to_live",
    "hardware_constraints",
    "default_resources_cache_ttl_sec",
    "privileges",
    "retry_settings",
    "scheduling_type",
    "targeted_reserved_machine_key",
    "targeted_reservation_name",
    "forced_network_rules",
    "secrets_access_rights",
)


def extra_of(body: TaskCreate) -> dict[str, object]:
    """Pass-through keys, stored by their wire names and echoed back by GET."""
    dumped = body.model_dump(mode="json", by_alias=True, include=set(EXTRA_KEYS), exclude_none=True)
    return dict(dumped)


def create_task(session: Session, sctx: SubmitContext, account_id: int, body: TaskCreate) -> Task:
    """Validates the body and adds the task, its tags and one queued instance per frame."""
    profile, inherited = _profile_of(session, sctx, account_id, body)
    _check_job(session, account_id, body.job_uuid)
    ids = instance_ids(body, sctx.max_frames)
    _check_tags(body)
    check_buckets(sctx, account_id, body)
    resolved = resolve(sctx, profile, body, inherited)
    now = utcnow()
    task = Task(
        uuid=str(uuid_module.uuid4()),
        account_id=account_id,
        name=body.name,
        shortname=body.shortname,
        profile=body.profile if body.pool_uuid is None else None,
        pool_uuid=body.pool_uuid,
        job_uuid=body.job_uuid,
        state=TaskState.SUBMITTED.value,
        state_changed_at=now,
        created_at=now,
        updated_at=now,
        advanced_ranges=body.advanced_ranges,
        instance_count=len(ids),
        result_bucket=body.result_bucket,
        results_count=0,
        resource_buckets=[
            b.model_dump(mode="json", by_alias=True, exclude_none=True)
            for b in body.advanced_resource_buckets
        ],
        constants=[{"key": k, "value": v} for k, v in resolved.submitted],
        labels=dict(body.labels),
        extra=extra_of(body),
        errors=[],
        upload_results_on_cancellation=bool(body.upload_results_on_cancellation),
        resources_version=0,
    )
    task.extra["resourceBuckets"] = list(body.resource_buckets)
    apply_scheduling(task, body, resolved)
    task.tags = [TaskTag(tag=t) for t in dict.fromkeys(body.tags)]
    session.add(task)
    session.flush()
    # Core insert: a 100,000-frame task must not build 100,000 ORM objects.
    session.execute(
        insert(TaskInstance),
        [
            {"task_id": task.id, "instance_id": i, "state": InstanceState.QUEUED.value, "results": []}
            for i in ids
        ],
    )
    return task
