"""The node protocol: JSON bodies exchanged between the server and heater-node agents.

Routes (all under /nodes/v1, `Authorization: <node token>`):
  POST heartbeat                      Telemetry                      -> {"ok": true}
  POST claim                          ClaimRequest (long-poll)       -> 200 ClaimResponse | 204
  POST attempts/{id}/started          -                              -> {"ok": bool}
  POST attempts/{id}/progress         ProgressReport                 -> {"ok": bool}
  GET  attempts/{id}/watch?wait_s=    - (long-poll)                  -> {"cancel": bool}
  GET  attempts/{id}/objects/{bucket}/{key}                          -> the input object's bytes
  PUT  attempts/{id}/outputs/{name}   bytes                          -> {"key": ..., "etag": ...}
  PUT  attempts/{id}/previews/{kind}  JPEG bytes (kind: progressive | final)
  POST attempts/{id}/complete         CompleteReport                 -> {"ok": bool}
  POST attempts/{id}/fail             FailReport                     -> {"ok": bool}
`ok: false` means the attempt is no longer the node's (aborted, or given to another node): stop.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_CLAIM_WAIT_S = 25.0
MAX_WATCH_WAIT_S = 25.0


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomState(Message):
    room_c: float
    setpoint_c: float
    wants_heat: bool
    predicted_overshoot_k: float = 0.0


class Telemetry(Message):
    state: str = Field(pattern="^(idle|rendering|offline)$")
    cpu_load: float = 0.0
    power_w: float = 0.0
    energy_wh: float = 0.0  # the node's energy counter since it started
    energy_method: str = ""
    room: RoomState | None = None
    task: str | None = None
    frame: int | None = None
    progress: float | None = None
    blender: str = ""
    site: dict[str, float | str] = Field(default_factory=dict)


class ClaimRequest(Message):
    room: RoomState
    speed: float = 1.0
    wait_s: float = Field(default=20.0, ge=0.0, le=MAX_CLAIM_WAIT_S)


class InputObject(Message):
    path: str
    bucket: str
    key: str
    size: int
    etag: str


class ClaimResponse(Message):
    attempt_id: int
    task_uuid: str
    frame: int
    attempt: int
    constants: dict[str, str]
    inputs: list[InputObject]
    heat_wanted: bool


class ProgressReport(Message):
    done: int = 0
    total: int = 0
    percent: float = Field(default=0.0, ge=0.0, le=100.0)


class CompleteReport(Message):
    outputs: list[str]
    render_time_s: float = Field(ge=0.0)
    energy_it_wh: float = Field(ge=0.0)
    energy_method: str
    energy_uncertainty: float = Field(ge=0.0)
    stdout: str = ""


class FailReport(Message):
    message: str
    stdout: str = ""
    stderr: str = ""
