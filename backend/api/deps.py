"""Request dependencies: the farm context, the authenticated caller and the services, as Annotated aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from backend.accounts.service import Principal
from backend.context import FarmContext
from backend.profiles import ProfileCatalog
from backend.tasks.jobs import JobService
from backend.tasks.pools import PoolService
from backend.tasks.service import TaskService

BEARER_PREFIX = "bearer "


@dataclass(frozen=True)
class ApiServices:
    profiles: ProfileCatalog
    tasks: TaskService
    pools: PoolService
    jobs: JobService


def get_context(request: Request) -> FarmContext:
    ctx: FarmContext = request.app.state.ctx
    return ctx


def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


def token_from_header(value: str | None) -> str | None:
    """Qarnot sends the raw token; `Bearer <token>` is accepted too."""
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith(BEARER_PREFIX):
        value = value[len(BEARER_PREFIX) :].strip()
    return value or None


def require_principal(request: Request, ctx: Annotated[FarmContext, Depends(get_context)]) -> Principal:
    token = token_from_header(request.headers.get("authorization"))
    principal = ctx.accounts.authenticate(token) if token else None
    if principal is None:
        reason = "missing Authorization header" if token is None else "invalid or revoked token"
        raise HTTPException(401, f"{reason}; send 'Authorization: <your API token>'")
    return principal


Context = Annotated[FarmContext, Depends(get_context)]
Services = Annotated[ApiServices, Depends(get_services)]
CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
