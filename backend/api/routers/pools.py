"""`/pools`: the minimal pool subset the SDK needs (create, read, commit, close, delete, list, logs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from backend.api.body import json_body, optional_json_body
from backend.api.deps import CurrentPrincipal, Services
from backend.api.instances import instance_number
from backend.tasks.schemas.common import Page, PageRequest, UuidReply
from backend.tasks.schemas.pools import PoolCreate, PoolPublic, PoolUpdate

router = APIRouter(tags=["pools"])

PoolBody = Annotated[PoolCreate, Depends(json_body(PoolCreate))]
PoolUpdateBody = Annotated[PoolUpdate | None, Depends(optional_json_body(PoolUpdate))]
PageBody = Annotated[PageRequest, Depends(json_body(PageRequest))]


@router.post("/pools", response_model=None)
def create_pool(body: PoolBody, services: Services, principal: CurrentPrincipal) -> JSONResponse:
    pool_uuid = services.pools.create(principal.account_id, body)
    return JSONResponse(UuidReply(uuid=pool_uuid).model_dump(by_alias=True), status_code=201)


@router.post("/pools/summaries/paginate")
def page_pool_summaries(body: PageBody, services: Services, principal: CurrentPrincipal) -> Page[PoolPublic]:
    return services.pools.page(principal.account_id, "pools", body)


@router.post("/pools/paginate")
def page_pools(body: PageBody, services: Services, principal: CurrentPrincipal) -> Page[PoolPublic]:
    return services.pools.page(principal.account_id, "pools", body)


@router.get("/pools/{pool_uuid}")
def get_pool(pool_uuid: str, services: Services, principal: CurrentPrincipal) -> PoolPublic:
    return services.pools.get(principal.account_id, pool_uuid)


@router.put("/pools/{pool_uuid}", status_code=204)
@router.patch("/pools/{pool_uuid}", status_code=204)
def update_pool(
    pool_uuid: str, body: PoolUpdateBody, services: Services, principal: CurrentPrincipal
) -> Response:
    services.pools.update(principal.account_id, pool_uuid, body)
    return Response(status_code=204)


@router.post("/pools/{pool_uuid}/close", status_code=204)
def close_pool(pool_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.pools.close(principal.account_id, pool_uuid)
    return Response(status_code=204)


@router.delete("/pools/{pool_uuid}", status_code=204)
def delete_pool(pool_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.pools.delete(principal.account_id, pool_uuid)
    return Response(status_code=204)


@router.api_route("/pools/{pool_uuid}/{stream}", methods=["GET", "POST"], response_class=PlainTextResponse)
@router.api_route(
    "/pools/{pool_uuid}/{stream}/{instance_id}", methods=["GET", "POST"], response_class=PlainTextResponse
)
def pool_log(
    pool_uuid: str,
    stream: str,
    services: Services,
    principal: CurrentPrincipal,
    instance_id: str | None = None,
) -> PlainTextResponse:
    # Pool slots do not run anything yet, so their output is always empty.
    pool = services.pools.get(principal.account_id, pool_uuid)
    if stream not in ("stdout", "stderr"):
        raise HTTPException(404, f"no such pool resource {stream!r}")
    if instance_id is not None and instance_number(instance_id) >= pool.instance_count:
        raise HTTPException(404, f"no pool instance {instance_id!r}")
    return PlainTextResponse("")
