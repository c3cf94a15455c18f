"""Frame previews of a task: the list, and each frame's latest JPEG (progressive, or the final thumbnail)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from backend.api.deps import Context, CurrentPrincipal, Services

router = APIRouter(tags=["previews"])


@router.get("/tasks/{task_uuid}/previews")
async def list_previews(
    task_uuid: str, ctx: Context, services: Services, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    await anyio.to_thread.run_sync(services.tasks.require, principal.account_id, task_uuid)
    refs = await anyio.to_thread.run_sync(ctx.previews.latest, task_uuid)
    return [{"frame": r.frame, "kind": r.kind, "size": r.size, "version": r.mtime_ns} for r in refs]


@router.get("/tasks/{task_uuid}/previews/{frame}")
async def get_preview(
    task_uuid: str,
    frame: int,
    *,
    ctx: Context,
    services: Services,
    principal: CurrentPrincipal,
    kind: str | None = None,
) -> FileResponse:
    await anyio.to_thread.run_sync(services.tasks.require, principal.account_id, task_uuid)
    if kind not in (None, "progressive", "final"):
        raise HTTPException(400, "kind must be 'progressive' or 'final'")
    ref = await anyio.to_thread.run_sync(ctx.previews.get, task_uuid, frame, kind)
    if ref is None:
        raise HTTPException(404, f"frame {frame} has no preview yet; previews appear while it renders")
    return FileResponse(ref.path, media_type="image/jpeg", headers={"Cache-Control": "no-cache"})
