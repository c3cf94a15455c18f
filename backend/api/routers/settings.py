"""`/settings` and `/info`: what the SDK asks when a Connection is built."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from backend.api.deps import Context, CurrentPrincipal
from backend.tasks.states import FINAL_TASK_STATES
from backend.tasks.tables import Pool, Task

router = APIRouter(tags=["settings"])

# Soft limits reported to the SDK; the farm does not enforce them yet.
MAX_TASKS = 10_000
MAX_POOLS = 100
MAX_BUCKETS = 1_000


@router.get("/settings")
def get_settings(ctx: Context, _: CurrentPrincipal) -> dict[str, str]:
    # Authenticated on purpose: a bad token must fail at Connection() even if storage were off.
    return {"storage": ctx.storage_url}


@router.get("/info")
def get_info(ctx: Context, principal: CurrentPrincipal) -> dict[str, Any]:
    """UserInfo: `email` (the S3 access key) and quotas; no computingQuotas/projects (they crash the SDK)."""
    final = [s.value for s in FINAL_TASK_STATES]
    with ctx.db.transaction() as session:
        tasks = session.scalar(
            select(func.count()).select_from(Task).where(Task.account_id == principal.account_id)
        )
        running = session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.account_id == principal.account_id, Task.state.not_in(final))
        )
        pools = session.scalar(
            select(func.count()).select_from(Pool).where(Pool.account_id == principal.account_id)
        )
    return {
        "email": principal.email,
        "maxBucket": MAX_BUCKETS,
        "maxTask": MAX_TASKS,
        "taskCount": tasks or 0,
        "maxRunningTask": MAX_TASKS,
        "runningTaskCount": running or 0,
        "maxPool": MAX_POOLS,
        "poolCount": pools or 0,
        "maxRunningPool": MAX_POOLS,
        "runningPoolCount": pools or 0,
        "maxInstances": 100_000,
        "runningInstanceCount": 0,
        "runningCoreCount": 0,
    }
