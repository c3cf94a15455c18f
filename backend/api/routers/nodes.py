"""Routes for heater-node agents: heartbeats, long-poll claims, inputs, outputs, previews and reports."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import StreamingResponse

from backend.context import FarmContext
from backend.events.bus import EventKind
from backend.fleet.protocol import (
    MAX_WATCH_WAIT_S,
    ClaimRequest,
    ClaimResponse,
    CompleteReport,
    FailReport,
    InputObject,
    ProgressReport,
    Telemetry,
)
from backend.fleet.registry import NodeError, NodeIdentity
from backend.previews.store import MAX_PREVIEW_BYTES, PreviewError
from backend.scheduler.placement import NodeView
from backend.scheduler.service import AttemptContext, Claim, FrameReport
from backend.storage.engine import StorageError

POLL_SLICE_S = 1.0
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
MAX_OUTPUT_BYTES = 5 * 1024**3

# Attempt ids are database integers: a larger number in a URL cannot name one, and SQLite would
# overflow on it (a 500) instead of answering that the attempt is unknown.
MAX_ATTEMPT_ID = 2**63 - 1
AttemptId = Annotated[int, Path(ge=1, le=MAX_ATTEMPT_ID)]

router = APIRouter(prefix="/nodes/v1", tags=["nodes"])


def farm(request: Request) -> FarmContext:
    ctx: FarmContext = request.app.state.ctx
    return ctx


Farm = Annotated[FarmContext, Depends(farm)]


def authenticated_node(request: Request, ctx: Farm) -> NodeIdentity:
    server = request.scope.get("server") or (None, None)
    if ctx.node_ports and server[1] not in ctx.node_ports:
        # With mTLS on, only the node listener (which verified a client certificate) may serve nodes.
        raise HTTPException(403, f"node traffic must use the mTLS node listener at {ctx.node_url}")
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    node = ctx.fleet.authenticate(token) if token else None
    if node is None:
        raise HTTPException(
            401, "this node's token is missing or unknown; ask the farm operator for a node token"
        )
    # Any request proves the node alive (a long upload between heartbeats too); throttled in the registry.
    ctx.fleet.touch(node.id)
    return node


ThisNode = Annotated[NodeIdentity, Depends(authenticated_node)]


def _claim_body(claim: Claim) -> ClaimResponse:
    return ClaimResponse(
        attempt_id=claim.attempt_id,
        task_uuid=claim.task_uuid,
        frame=claim.frame,
        attempt=claim.attempt,
        constants=claim.constants,
        inputs=[
            InputObject(path=f.path, bucket=f.bucket, key=f.key, size=f.size, etag=f.etag)
            for f in claim.inputs
        ],
        heat_wanted=claim.heat_wanted,
    )


def _own_attempt(ctx: FarmContext, node: NodeIdentity, attempt_id: int) -> AttemptContext:
    found = ctx.scheduler.attempt_context(node.name, attempt_id)
    if found is None:
        raise HTTPException(404, f"attempt {attempt_id} is not this node's")
    return found


@router.post("/heartbeat")
async def heartbeat(telemetry: Telemetry, node: ThisNode, ctx: Farm) -> dict[str, bool]:
    data = telemetry.model_dump()
    try:
        await anyio.to_thread.run_sync(ctx.fleet.heartbeat, node.id, data, telemetry.site or None)
    except NodeError as exc:
        raise HTTPException(410, str(exc)) from exc
    # Broadcast to every account's fleet view; the task itself is private to its owner.
    public = {k: v for k, v in data.items() if k not in ("task", "site")} | {"node": node.name}
    await anyio.to_thread.run_sync(
        lambda: ctx.events.publish(EventKind.NODE_TELEMETRY, public, account_id=None)
    )
    return {"ok": True}


@router.post("/claim", response_model=None)
async def claim(body: ClaimRequest, node: ThisNode, ctx: Farm) -> ClaimResponse | Response:
    view = NodeView(
        node_id=node.name,
        room_c=body.room.room_c,
        setpoint_c=body.room.setpoint_c,
        wants_heat=body.room.wants_heat,
        predicted_overshoot_k=body.room.predicted_overshoot_k,
        speed=body.speed,
    )
    deadline = asyncio.get_running_loop().time() + body.wait_s
    try:
        while True:
            found = await anyio.to_thread.run_sync(ctx.scheduler.offer, node.name, view)
            if found is not None:
                return _claim_body(found)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or ctx.shutting_down.is_set():
                return Response(status_code=204)
            await ctx.events.wait(min(remaining, POLL_SLICE_S))
    finally:
        ctx.scheduler.stop_waiting(node.name)


@router.post("/attempts/{attempt_id}/started")
async def started(attempt_id: AttemptId, node: ThisNode, ctx: Farm) -> dict[str, bool]:
    return {"ok": await anyio.to_thread.run_sync(ctx.scheduler.started, node.name, attempt_id)}


@router.post("/attempts/{attempt_id}/progress")
async def progress(attempt_id: AttemptId, body: ProgressReport, node: ThisNode, ctx: Farm) -> dict[str, bool]:
    ok = await anyio.to_thread.run_sync(
        ctx.scheduler.progress, node.name, attempt_id, body.done, body.total, body.percent
    )
    return {"ok": ok}


@router.get("/attempts/{attempt_id}/watch")
async def watch(attempt_id: AttemptId, node: ThisNode, ctx: Farm, wait_s: float = 20.0) -> dict[str, bool]:
    """Answers as soon as the node must stop this attempt (abort, or reassignment), else after wait_s."""
    deadline = asyncio.get_running_loop().time() + max(0.0, min(wait_s, MAX_WATCH_WAIT_S))
    while True:
        if not await anyio.to_thread.run_sync(ctx.scheduler.is_current, node.name, attempt_id):
            return {"cancel": True}
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0 or ctx.shutting_down.is_set():
            return {"cancel": False}
        await ctx.events.wait(min(remaining, POLL_SLICE_S))


@router.get("/attempts/{attempt_id}/objects/{bucket}/{key:path}")
async def input_object(
    attempt_id: AttemptId, bucket: str, key: str, node: ThisNode, ctx: Farm
) -> StreamingResponse:
    attempt = await anyio.to_thread.run_sync(_own_attempt, ctx, node, attempt_id)
    if bucket not in attempt.resource_buckets:
        raise HTTPException(403, f"bucket {bucket!r} is not a resource of this attempt's task")
    try:
        info = await anyio.to_thread.run_sync(ctx.storage.head_object, bucket, key)
    except StorageError as exc:
        raise HTTPException(404, f"input {bucket}/{key} is gone: {exc.code}") from exc
    chunks: Iterator[bytes] = ctx.storage.read_object(bucket, key)
    headers = {"Content-Length": str(info.size), "ETag": f'"{info.etag}"'}
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


async def _spool_body(request: Request, limit: int) -> tempfile.SpooledTemporaryFile[bytes]:
    """Reads the body without holding the event loop; the caller closes the returned file."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (caller closes it)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spool.close()
            raise HTTPException(413, f"the upload is larger than {limit} bytes")
        spool.write(chunk)
    spool.seek(0)
    return spool


def _safe_name(name: str) -> str:
    parts = name.split("/")
    if not name or "\x00" in name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise HTTPException(400, f"output name {name!r} must be a relative path without '..' or empty parts")
    return name


async def _require_current(ctx: FarmContext, node: NodeIdentity, attempt_id: int) -> None:
    """An attempt that was requeued or aborted must not overwrite the results of the one that replaced it."""
    if not await anyio.to_thread.run_sync(ctx.scheduler.is_current, node.name, attempt_id):
        raise HTTPException(
            409, f"attempt {attempt_id} is no longer this node's current work; output refused"
        )


@router.put("/attempts/{attempt_id}/outputs/{name:path}")
async def output(
    attempt_id: AttemptId, name: str, request: Request, node: ThisNode, ctx: Farm
) -> dict[str, str]:
    attempt = await anyio.to_thread.run_sync(_own_attempt, ctx, node, attempt_id)
    if not attempt.result_bucket:
        raise HTTPException(409, "this task has no result bucket; its outputs cannot be kept")
    key = _safe_name(name)
    await _require_current(ctx, node, attempt_id)
    spool = await _spool_body(request, MAX_OUTPUT_BYTES)
    content_type = request.headers.get("content-type", "application/octet-stream")
    try:
        # Checked again once the body is in: the frame may have been requeued during the upload.
        await _require_current(ctx, node, attempt_id)
    except HTTPException:
        spool.close()
        raise

    def store() -> str:
        with spool:
            blocks = iter(lambda: spool.read(1024 * 1024), b"")
            return ctx.storage.put_object(
                attempt.result_bucket or "", key, blocks, content_type=content_type, metadata={}
            ).etag

    try:
        etag = await anyio.to_thread.run_sync(store)
    except StorageError as exc:
        raise HTTPException(409, f"the result bucket refused the output: {exc.code}") from exc
    return {"key": key, "etag": etag}


@router.put("/attempts/{attempt_id}/previews/{kind}")
async def preview(
    attempt_id: AttemptId, kind: str, request: Request, node: ThisNode, ctx: Farm
) -> dict[str, bool]:
    attempt = await anyio.to_thread.run_sync(_own_attempt, ctx, node, attempt_id)
    spool = await _spool_body(request, MAX_PREVIEW_BYTES)
    with spool:
        data = spool.read()
    try:
        await anyio.to_thread.run_sync(ctx.previews.save, attempt.task_uuid, attempt.frame, kind, data)
    except PreviewError as exc:
        raise HTTPException(400, str(exc)) from exc
    ok = await anyio.to_thread.run_sync(
        lambda: ctx.scheduler.preview(node.name, attempt_id, f"{attempt.frame}/{kind}", final=kind == "final")
    )
    return {"ok": ok}


@router.post("/attempts/{attempt_id}/complete")
async def complete(attempt_id: AttemptId, body: CompleteReport, node: ThisNode, ctx: Farm) -> dict[str, bool]:
    attempt = await anyio.to_thread.run_sync(_own_attempt, ctx, node, attempt_id)
    for key in body.outputs:
        try:
            await anyio.to_thread.run_sync(
                ctx.storage.head_object, attempt.result_bucket or "", _safe_name(key)
            )
        except StorageError as exc:
            raise HTTPException(
                400, f"output {key!r} was never uploaded; upload it before completing"
            ) from exc
    report = FrameReport(
        outputs=body.outputs,
        render_time_s=body.render_time_s,
        energy_it_wh=body.energy_it_wh,
        energy_method=body.energy_method,
        energy_uncertainty=body.energy_uncertainty,
        stdout=body.stdout,
    )
    return {"ok": await anyio.to_thread.run_sync(ctx.scheduler.complete, node.name, attempt_id, report)}


@router.post("/attempts/{attempt_id}/fail")
async def fail(attempt_id: AttemptId, body: FailReport, node: ThisNode, ctx: Farm) -> dict[str, bool]:
    ok = await anyio.to_thread.run_sync(
        ctx.scheduler.fail, node.name, attempt_id, body.message, body.stdout, body.stderr
    )
    return {"ok": ok}
