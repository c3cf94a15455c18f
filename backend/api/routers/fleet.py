"""GET /nodes: the fleet view, every heater node with its state, frame, room and power."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
from fastapi import APIRouter

from backend.api.deps import Context

router = APIRouter(tags=["fleet"])

# Which task a node renders is private to that task's owner; the rest is the fleet's public face.
PRIVATE_TELEMETRY = ("task", "site")


@router.get("/nodes")
async def list_nodes(ctx: Context) -> list[dict[str, Any]]:
    online_within = timedelta(seconds=ctx.settings.heartbeat_timeout_s)
    nodes = await anyio.to_thread.run_sync(ctx.fleet.summaries, online_within)
    return [
        {
            "name": node.name,
            "state": node.state if node.online else "offline",
            "online": node.online,
            "lastSeen": node.last_seen.strftime("%Y-%m-%dT%H:%M:%SZ") if node.last_seen else None,
            "telemetry": {k: v for k, v in node.telemetry.items() if k not in PRIVATE_TELEMETRY},
            "site": node.site,
        }
        for node in nodes
    ]
