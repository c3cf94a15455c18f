"""`/credits/v1/...`: the farm does not bill, so every balance and cost is 0 euros."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import CurrentPrincipal, Services

router = APIRouter(tags=["credits"])


@router.get("/credits/v1/tasks/{task_uuid}/credits")
def task_credits(task_uuid: str, services: Services, principal: CurrentPrincipal) -> dict[str, float]:
    services.tasks.get(principal.account_id, task_uuid)
    return {"credits": 0.0}


@router.get("/credits/v1/pools/{pool_uuid}/credits")
def pool_credits(pool_uuid: str, services: Services, principal: CurrentPrincipal) -> dict[str, float]:
    services.pools.get(principal.account_id, pool_uuid)
    return {"credits": 0.0}


@router.get("/credits/v1/accounts/credits")
def account_credits(_: CurrentPrincipal) -> dict[str, float]:
    return {"credits": 0.0}
