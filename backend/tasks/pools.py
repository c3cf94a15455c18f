"""PoolService: the minimal pool subset of qarnot-api.md section 6 (no slot reservation yet)."""

from __future__ import annotations

import uuid as uuid_module

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.session import Database
from backend.profiles import ConstantError, ProfileCatalog, resolve_constants
from backend.storage.buckets import BucketRegistry
from backend.tasks.buckets import check_bucket_name, check_bucket_prefixes, check_owned
from backend.tasks.errors import InvalidRequestError, NotAllowedError, NotFoundError
from backend.tasks.listing import page_rows
from backend.tasks.schemas.common import KeyValue, Page, PageRequest, RetrySettings, qarnot_date
from backend.tasks.schemas.pools import PoolCreate, PoolPublic
from backend.tasks.states import is_final
from backend.tasks.tables import Pool, Task

POOL_OPEN = "FullyExecuting"
POOL_CLOSED = "Closed"

EXTRA_KEYS = {
    "elastic_property",
    "hardware_constraints",
    "forced_network_rules",
    "privileges",
    "default_retry_settings",
    "preparation_task",
    "auto_delete_on_completion",
    "completion_time_to_live",
}


def pool_public(pool: Pool) -> PoolPublic:
    extra = pool.extra
    return PoolPublic(
        uuid=pool.uuid,
        name=pool.name,
        shortname=pool.shortname,
        profile=pool.profile,
        state=pool.state,
        creation_date=qarnot_date(pool.created_at) or "",
        last_modified=qarnot_date(pool.updated_at),
        instance_count=pool.instance_count,
        constants=[KeyValue(key=c["key"], value=c["value"]) for c in pool.constants],
        tags=list(pool.tags),
        labels=dict(pool.labels),
        advanced_resource_buckets=list(pool.resource_buckets),
        resource_buckets=[],
        errors=[],
        hardware_constraints=list(extra.get("hardwareConstraints", [])),
        forced_network_rules=list(extra.get("forcedNetworkRules", [])),
        elastic_property=dict(extra.get("elasticProperty") or {"isElastic": False}),
        default_retry_settings=RetrySettings.model_validate(extra.get("defaultRetrySettings") or {}),
        privileges=dict(extra.get("privileges") or {"exportApiAndStorageCredentialsInEnvironment": False}),
        running_instance_count=0,
        running_core_count=0,
        total_slot_capacity=pool.instance_count,
        queued_or_running_task_instances_count=0,
    )


class PoolService:
    def __init__(self, db: Database, profiles: ProfileCatalog, buckets: BucketRegistry) -> None:
        self._db = db
        self._profiles = profiles
        self._buckets = buckets

    @staticmethod
    def _pool(session: Session, account_id: int, pool_uuid: str) -> Pool:
        pool = session.scalar(select(Pool).where(Pool.uuid == pool_uuid, Pool.account_id == account_id))
        if pool is None:
            raise NotFoundError(f"no pool {pool_uuid}")
        return pool

    def _check(self, account_id: int, body: PoolCreate) -> list[dict[str, str]]:
        profile = self._profiles.get(body.profile)
        if profile is None:
            raise InvalidRequestError(
                f"unknown profile {body.profile!r}; available profiles: {', '.join(self._profiles.names())}"
            )
        for bucket in body.advanced_resource_buckets:
            check_bucket_name(bucket.bucket_name, "resource bucket")
            check_bucket_prefixes(bucket)
            check_owned(self._buckets, account_id, bucket.bucket_name, "resource bucket")
        try:
            # A pool's tasks bring the scene file, so only the values given here are checked.
            given = [(c.key, c.value) for c in body.constants]
            for rule in profile.constants:
                if rule.required and not any(k == rule.name for k, _ in given):
                    given.append((rule.name, "pool-placeholder"))
            resolved = resolve_constants(profile, given)
        except ConstantError as exc:
            raise InvalidRequestError(str(exc)) from None
        submitted = {c.key for c in body.constants}
        return [{"key": k, "value": v} for k, v in resolved.submitted if k in submitted]

    def create(self, account_id: int, body: PoolCreate) -> str:
        constants = self._check(account_id, body)
        now = utcnow()
        with self._db.transaction() as session:
            pool = Pool(
                uuid=str(uuid_module.uuid4()),
                account_id=account_id,
                name=body.name,
                shortname=body.shortname,
                profile=body.profile,
                state=POOL_OPEN,
                instance_count=body.instance_count,
                constants=constants,
                tags=list(dict.fromkeys(body.tags)),
                labels=dict(body.labels),
                resource_buckets=[
                    b.model_dump(mode="json", by_alias=True) for b in body.advanced_resource_buckets
                ],
                extra=body.model_dump(mode="json", by_alias=True, include=EXTRA_KEYS, exclude_none=True),
                created_at=now,
                updated_at=now,
            )
            session.add(pool)
            return pool.uuid

    def get(self, account_id: int, pool_uuid: str) -> PoolPublic:
        with self._db.transaction() as session:
            return pool_public(self._pool(session, account_id, pool_uuid))

    def update(self, account_id: int, pool_uuid: str, body: PoolCreate | None) -> None:
        """PUT (commit) replaces name, tags, labels and constants; PATCH (no body) only touches it."""
        constants = self._check(account_id, body) if body is not None else None
        with self._db.transaction() as session:
            pool = self._pool(session, account_id, pool_uuid)
            if body is not None and constants is not None:
                if body.profile != pool.profile:
                    raise InvalidRequestError("a pool's profile cannot change; create a new pool")
                pool.name, pool.shortname, pool.labels = body.name, body.shortname, dict(body.labels)
                pool.tags, pool.constants = list(dict.fromkeys(body.tags)), constants
            pool.updated_at = utcnow()

    def close(self, account_id: int, pool_uuid: str) -> None:
        with self._db.transaction() as session:
            pool = self._pool(session, account_id, pool_uuid)
            if pool.state == POOL_CLOSED:
                raise NotAllowedError(f"pool {pool_uuid} is already closed")
            pool.state, pool.updated_at = POOL_CLOSED, utcnow()

    def delete(self, account_id: int, pool_uuid: str) -> None:
        with self._db.transaction() as session:
            pool = self._pool(session, account_id, pool_uuid)
            running = [
                t
                for t in session.scalars(select(Task).where(Task.pool_uuid == pool.uuid))
                if not is_final(t.state)
            ]
            if running:
                raise NotAllowedError(
                    f"pool {pool_uuid} still has {len(running)} unfinished task(s); abort them first"
                )
            session.delete(pool)

    def page(self, account_id: int, kind: str, request: PageRequest) -> Page[PoolPublic]:
        with self._db.transaction() as session:
            rows = list(session.scalars(select(Pool).where(Pool.account_id == account_id).order_by(Pool.id)))
            return page_rows(kind, rows, request, pool_public)
