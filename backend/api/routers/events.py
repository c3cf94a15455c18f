"""GET /events: the caller's live events as Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import StreamingResponse

from backend.api.deps import Context, CurrentPrincipal
from backend.events.bus import REPLAY_BATCH, Event

KEEPALIVE_S = 15.0
CLIENT_RETRY_MS = 2000

router = APIRouter(tags=["events"])


def format_event(event: Event) -> str:
    payload = {"id": event.id, "kind": event.kind, "task": event.task_uuid, **event.data}
    return f"id: {event.id}\nevent: {event.kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _start_id(header: str | None, query: str | None, latest: int) -> int:
    raw = header if header is not None else query
    if raw is None or raw == "":
        return latest
    try:
        value = int(raw)
    except ValueError as exc:
        raise HTTPException(400, f"Last-Event-ID must be an event id (a whole number), not {raw!r}") from exc
    if value < 0:
        raise HTTPException(400, "Last-Event-ID cannot be negative")
    return value


@router.get("/events")
async def events(
    ctx: Context,
    caller: CurrentPrincipal,
    last_event_id: Annotated[str | None, Header()] = None,
    since: str | None = None,
) -> StreamingResponse:
    """With no Last-Event-ID the stream starts now; `since=0` replays the whole retained log."""
    latest = await anyio.to_thread.run_sync(ctx.events.latest_id)
    start = _start_id(last_event_id, since, latest)

    async def stream() -> AsyncIterator[str]:
        cursor = start
        yield f"retry: {CLIENT_RETRY_MS}\n: stream of account {caller.email}\n\n"
        while not ctx.shutting_down.is_set():
            batch = await anyio.to_thread.run_sync(ctx.events.since, caller.account_id, cursor)
            for event in batch:
                cursor = event.id
                yield format_event(event)
            if len(batch) == REPLAY_BATCH:
                continue
            await ctx.events.wait(KEEPALIVE_S)
            # A comment line keeps proxies from closing an idle stream; clients ignore it.
            yield ": keepalive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
