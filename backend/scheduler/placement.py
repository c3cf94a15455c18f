"""Placement: a pure function from queued frames and free nodes to assignments.

It holds no clock, database or network, so the server and a fleet simulator with thousands of
simulated rooms drive the same code. Policies: `heat-first` (the default) sends work where heat
is wanted; `fastest` ignores heat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_HEAT_WAIT_S = 30.0
OVERHEAT_LIMIT_K = 3.0
DEADLINE_SAFETY_FACTOR = 2.0


class Policy(StrEnum):
    HEAT_FIRST = "heat-first"
    FASTEST = "fastest"


@dataclass(frozen=True)
class NodeView:
    """What placement needs to know about a node that is free to take a frame."""

    node_id: str
    room_c: float
    setpoint_c: float
    wants_heat: bool
    predicted_overshoot_k: float  # predicted room temperature after one frame, minus the set-point
    speed: float = 1.0  # relative throughput; higher is faster


@dataclass(frozen=True)
class FrameView:
    """A frame waiting for a node."""

    frame_id: int
    task_id: int
    account_id: int
    frame: int
    queued_for_s: float  # how long it has been waiting
    priority: int = 0
    policy: Policy = Policy.HEAT_FIRST
    deadline_in_s: float | None = None  # time left until the task's deadline
    estimated_runtime_s: float = 0.0
    blocked_nodes: frozenset[str] = frozenset()  # never these (blocklisted for the task)
    failed_nodes: frozenset[str] = frozenset()  # nodes this frame already failed or was lost on


@dataclass(frozen=True)
class Assignment:
    frame_id: int
    node_id: str
    heat_wanted: bool  # False when the frame ran where nobody wanted heat: no heat credit then


def heat_wait_s(frame: FrameView, max_wait_s: float) -> float:
    """How long a frame may wait for a heat-wanting node: less when its deadline needs it."""
    if frame.deadline_in_s is None:
        return max_wait_s
    slack = frame.deadline_in_s - DEADLINE_SAFETY_FACTOR * frame.estimated_runtime_s
    return max(0.0, min(max_wait_s, slack))


def order_frames(frames: Iterable[FrameView], running_by_account: dict[int, int]) -> list[FrameView]:
    """Higher priority first; within a priority, accounts take turns (fewest running first), then FIFO."""
    by_priority: dict[int, list[FrameView]] = defaultdict(list)
    for frame in frames:
        by_priority[frame.priority].append(frame)
    ordered: list[FrameView] = []
    for priority in sorted(by_priority, reverse=True):
        queues: dict[int, list[FrameView]] = defaultdict(list)
        for frame in sorted(by_priority[priority], key=lambda f: (-f.queued_for_s, f.task_id, f.frame)):
            queues[frame.account_id].append(frame)
        load = {account: running_by_account.get(account, 0) for account in queues}
        while queues:
            account = min(queues, key=lambda a: (load[a], -queues[a][0].queued_for_s, a))
            ordered.append(queues[account].pop(0))
            load[account] += 1
            if not queues[account]:
                del queues[account]
    return ordered


def _heat_rank(node: NodeView) -> tuple[bool, bool, float]:
    # Heat-wanting rooms first, then rooms that will not overheat, then the coolest relative to set-point.
    return (not node.wants_heat, node.predicted_overshoot_k > OVERHEAT_LIMIT_K, node.room_c - node.setpoint_c)


def _choose_node(frame: FrameView, candidates: Sequence[NodeView], max_wait_s: float) -> Assignment | None:
    if frame.policy is Policy.FASTEST:
        best = min(candidates, key=lambda n: (-n.speed, *_heat_rank(n)))
        return Assignment(frame.frame_id, best.node_id, best.wants_heat)
    wanting = [n for n in candidates if n.wants_heat and n.predicted_overshoot_k <= OVERHEAT_LIMIT_K]
    if wanting:
        best = min(wanting, key=_heat_rank)
        return Assignment(frame.frame_id, best.node_id, True)
    if frame.queued_for_s < heat_wait_s(frame, max_wait_s):
        return None
    best = min(candidates, key=_heat_rank)
    return Assignment(frame.frame_id, best.node_id, best.wants_heat)


def place(
    frames: Iterable[FrameView],
    free_nodes: Iterable[NodeView],
    *,
    running_by_account: dict[int, int] | None = None,
    max_wait_s: float = DEFAULT_HEAT_WAIT_S,
) -> list[Assignment]:
    """Assigns queued frames to free nodes, one frame per node; frames not assigned keep waiting."""
    available = {node.node_id: node for node in free_nodes}
    assignments: list[Assignment] = []
    for frame in order_frames(frames, running_by_account or {}):
        if not available:
            break
        candidates = [n for n in available.values() if n.node_id not in frame.blocked_nodes]
        # A retry goes to another node whenever one is free; only then back to a node that failed it.
        candidates = [n for n in candidates if n.node_id not in frame.failed_nodes] or candidates
        if not candidates:
            continue
        choice = _choose_node(frame, candidates, max_wait_s)
        if choice is not None:
            assignments.append(choice)
            del available[choice.node_id]
    return assignments
