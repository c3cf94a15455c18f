"""The Qarnot-compatible REST API: routers, error handlers and middleware, installed on the farm app."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from backend.api.deps import ApiServices, require_principal
from backend.api.errors import install_error_handlers
from backend.api.middleware import CollapseSlashesMiddleware, UnexpectedErrorMiddleware
from backend.api.routers import (
    carbon,
    credits,
    events,
    fleet,
    jobs,
    nodes,
    pools,
    previews,
    profiles,
    settings,
    snapshots,
    task_logs,
    tasks,
)
from backend.context import FarmContext
from backend.profiles import load_catalog
from backend.tasks.jobs import JobService
from backend.tasks.pools import PoolService
from backend.tasks.service import TaskService
from backend.tasks.submit import SubmitContext
from render_client.frames import DEFAULT_MAX_FRAMES

# Order matters where paths overlap: snapshot routes before the generic `/tasks/{uuid}/{stream}`.
ROUTERS = (
    settings,
    profiles,
    tasks,
    snapshots,
    previews,
    task_logs,
    carbon,
    credits,
    pools,
    jobs,
    fleet,
    events,
)
# Heater nodes are not user accounts: their routes check node credentials themselves.
SELF_AUTHENTICATED_ROUTERS = (nodes,)


def build_services(ctx: FarmContext) -> ApiServices:
    catalog = load_catalog(ctx.settings.profiles_dir)
    submit_context = SubmitContext(
        storage=ctx.storage, buckets=ctx.buckets, profiles=catalog, max_frames=DEFAULT_MAX_FRAMES
    )
    tasks = TaskService(ctx.db, submit_context, ctx.events, ctx.previews)
    return ApiServices(
        profiles=catalog,
        tasks=tasks,
        pools=PoolService(ctx.db, catalog, ctx.buckets),
        jobs=JobService(ctx.db, tasks),
    )


def install_api(app: FastAPI, ctx: FarmContext) -> None:
    app.state.services = build_services(ctx)
    install_error_handlers(app)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(CollapseSlashesMiddleware)  # added last = runs first, before routing
    for module in ROUTERS:
        # Authentication first, before any body is read: no anonymous request costs more than a lookup.
        app.include_router(module.router, dependencies=[Depends(require_principal)])
    for module in SELF_AUTHENTICATED_ROUTERS:
        app.include_router(module.router)
