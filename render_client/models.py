"""Typed views of the farm's JSON: tasks, carbon facts, nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINAL_STATES = frozenset({"Success", "Failure", "Cancelled"})


@dataclass(frozen=True)
class TaskError:
    code: str
    message: str


@dataclass(frozen=True)
class Task:
    uuid: str
    name: str
    state: str
    instance_count: int
    results_count: int
    result_bucket: str | None
    resource_buckets: list[str]
    constants: dict[str, str]
    progress: float
    created: str
    frames_done: int
    errors: list[TaskError] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        completed = data.get("completedInstances") or []
        return cls(
            uuid=str(data["uuid"]),
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            instance_count=int(data.get("instanceCount") or 0),
            results_count=int(data.get("resultsCount") or 0),
            result_bucket=data.get("resultBucket"),
            resource_buckets=[str(b.get("bucketName")) for b in data.get("advancedResourceBuckets") or []],
            constants={str(c["key"]): str(c.get("value") or "") for c in data.get("constants") or []},
            progress=float(data.get("progress") or 0.0),
            created=str(data.get("creationDate", "")),
            frames_done=sum(1 for c in completed if c.get("state") == "Success"),
            errors=[
                TaskError(str(e.get("code", "")), str(e.get("message", ""))) for e in data.get("errors") or []
            ],
            tags=[str(t) for t in data.get("tags") or []],
        )


@dataclass(frozen=True)
class CarbonFacts:
    """Qarnot's 14 carbon-facts fields plus Hearth's own; `raw` keeps every field the farm sent."""

    total_energy_it_wh: float
    total_consumed_energy_wh: float
    total_reused_energy_wh: float
    footprint_g: float
    equivalent_datacenter_g: float
    saved_g: float
    saved_percent: float
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CarbonFacts:
        def number(key: str) -> float:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else 0.0

        return cls(
            total_energy_it_wh=number("total_energy_it_Wh"),
            total_consumed_energy_wh=number("total_consumed_energy_Wh"),
            total_reused_energy_wh=number("total_reused_energy_Wh"),
            footprint_g=number("qarnot_carbon_footprint"),
            equivalent_datacenter_g=number("equivalent_DC_carbon_footprint"),
            saved_g=number("saved_carbon_footprint_compute_heat"),
            saved_percent=number("saved_carbon_footprint_percent"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Node:
    name: str
    state: str
    online: bool
    room_c: float | None
    setpoint_c: float | None
    power_w: float
    frame: int | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Node:
        telemetry = data.get("telemetry") or {}
        room = telemetry.get("room") or {}
        return cls(
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            online=bool(data.get("online", False)),
            room_c=room.get("room_c"),
            setpoint_c=room.get("setpoint_c"),
            power_w=float(telemetry.get("power_w") or 0.0),
            frame=telemetry.get("frame"),
            raw=dict(data),
        )
