"""`/carbon/v1/...`: carbon facts of a task or pool, from the energy its nodes measured."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from backend.api.deps import CurrentPrincipal, Services
from backend.carbon.formulas import carbon_facts
from backend.carbon.task_facts import facts_json

router = APIRouter(tags=["carbon"])


@router.get("/carbon/v1/tasks/{task_uuid}/carbon-facts")
def task_carbon_facts(
    task_uuid: str,
    services: Services,
    principal: CurrentPrincipal,
    comparisonDatacenter: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    return services.tasks.carbon(principal.account_id, task_uuid, comparisonDatacenter)


@router.get("/carbon/v1/pools/{pool_uuid}/carbon-facts")
def pool_carbon_facts(
    pool_uuid: str,
    services: Services,
    principal: CurrentPrincipal,
    comparisonDatacenter: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    services.pools.get(principal.account_id, pool_uuid)  # 404 for another account's pool
    # Pools reserve no slots yet, so they have consumed nothing: the facts of an empty measurement.
    empty = carbon_facts([], comparisonDatacenter)
    return facts_json(empty, carbon_facts([], comparisonDatacenter, same_grid=True))
