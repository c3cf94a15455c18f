"""NodeRegistry: node credentials, registration, heartbeats and liveness."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from backend.db.base import utcnow
from backend.db.session import Database
from backend.fleet.tables import Node

NODE_TOKEN_PREFIX = "hthn"
NODE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class NodeError(Exception):
    """A node request that cannot be honoured; the message says why."""


class NodeState:
    IDLE = "idle"
    RENDERING = "rendering"
    OFFLINE = "offline"


@dataclass(frozen=True)
class NodeIdentity:
    id: int
    name: str


@dataclass(frozen=True)
class NodeSummary:
    name: str
    state: str
    online: bool
    last_seen: datetime | None
    telemetry: dict[str, Any]
    site: dict[str, Any]


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOUCH_EVERY_S = 1.0


class NodeRegistry:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._touched: dict[int, float] = {}
        self._touch_lock = threading.Lock()

    def touch(self, node_id: int) -> None:
        """Any request from a node proves it alive, not only heartbeats (at most one write a second)."""
        now = time.monotonic()
        with self._touch_lock:
            if now - self._touched.get(node_id, 0.0) < TOUCH_EVERY_S:
                return
            self._touched[node_id] = now
        with self._db.transaction() as session:
            node = session.get(Node, node_id)
            if node is not None:
                node.last_seen = utcnow()

    def add(self, name: str, site: dict[str, Any] | None = None, *, replace_token: bool = False) -> str:
        """Creates a node credential and returns the token; only its hash is stored."""
        if not NODE_NAME_PATTERN.match(name):
            raise NodeError(f"'{name}' is not a valid node name: use letters, digits, '.', '_' or '-'")
        token = f"{NODE_TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
        with self._db.transaction() as session:
            node = session.scalar(select(Node).where(Node.name == name))
            if node is not None and not replace_token:
                raise NodeError(f"a node named {name} already exists; pass --rotate to issue it a new token")
            if node is None:
                node = Node(name=name, site=site or {})
                session.add(node)
            elif site is not None:
                node.site = site
            node.token_sha256 = _sha256(token)
        return token

    def authenticate(self, token: str) -> NodeIdentity | None:
        if not token.startswith(f"{NODE_TOKEN_PREFIX}_"):
            return None
        digest = _sha256(token)
        with self._db.transaction() as session:
            node = session.scalar(select(Node).where(Node.token_sha256 == digest))
            if (
                node is None
                or node.token_sha256 is None
                or not hmac.compare_digest(node.token_sha256, digest)
            ):
                return None
            return NodeIdentity(node.id, node.name)

    def by_certificate(self, common_name: str) -> NodeIdentity | None:
        """The node a verified client certificate names (mTLS), registered on first sight."""
        if not NODE_NAME_PATTERN.match(common_name):
            return None
        with self._db.transaction() as session:
            node = session.scalar(select(Node).where(Node.name == common_name))
            if node is None:
                node = Node(name=common_name, site={})
                session.add(node)
                session.flush()
            return NodeIdentity(node.id, node.name)

    def heartbeat(self, node_id: int, telemetry: dict[str, Any], site: dict[str, Any] | None = None) -> None:
        with self._db.transaction() as session:
            node = session.get(Node, node_id)
            if node is None:
                raise NodeError("this node is no longer registered; ask the farm operator for a new token")
            node.telemetry = telemetry
            node.state = str(telemetry.get("state", NodeState.IDLE))
            node.last_seen = utcnow()
            if site:
                node.site = site

    def site_of(self, node_name: str) -> dict[str, Any]:
        with self._db.transaction() as session:
            node = session.scalar(select(Node).where(Node.name == node_name))
            return dict(node.site) if node is not None else {}

    def mark_stale_offline(self, timeout: timedelta, now: datetime | None = None) -> list[str]:
        """Marks nodes silent for longer than `timeout` offline; returns their names."""
        cutoff = (now or utcnow()) - timeout
        with self._db.transaction() as session:
            stale = session.scalars(
                select(Node).where(Node.state != NodeState.OFFLINE).where(Node.last_seen < cutoff)
            ).all()
            for node in stale:
                node.state = NodeState.OFFLINE
            return [node.name for node in stale]

    def summaries(self, online_within: timedelta) -> list[NodeSummary]:
        now = utcnow()
        with self._db.transaction() as session:
            nodes = session.scalars(select(Node).order_by(Node.name)).all()
            return [
                NodeSummary(
                    name=n.name,
                    state=n.state,
                    online=n.state != NodeState.OFFLINE
                    and n.last_seen is not None
                    and now - n.last_seen <= online_within,
                    last_seen=n.last_seen,
                    telemetry=dict(n.telemetry),
                    site=dict(n.site),
                )
                for n in nodes
            ]
