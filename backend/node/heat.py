"""HeatState: the node's room and power, as telemetry and as the room state placement needs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from backend.fleet.protocol import RoomState
from backend.node.meters import EnergyMeter
from backend.node.room import Room, RoomSensor, Thermostat

# How far ahead placement looks when it asks whether a frame would overheat the room.
FRAME_HORIZON_S = 600.0


class HeatState:
    """Advances the room with the node's measured power; thread-safe."""

    def __init__(
        self,
        room: RoomSensor,
        meter: EnergyMeter,
        *,
        busy_power_w: float,
        thermostat: Thermostat | None = None,
        clock: Callable[[], float] = time.monotonic,
        cpu_seconds: Callable[[], float] | None = None,
        cores: int = 1,
    ) -> None:
        self._room = room
        self._meter = meter
        self._busy_power_w = busy_power_w
        self._thermostat = thermostat or Thermostat(setpoint_c=room.setpoint_c)
        self._clock = clock
        self._lock = threading.Lock()
        self._last_t = clock()
        self._last_j = meter.total_joules()
        self._cpu_seconds = cpu_seconds
        self._cores = max(1, cores)
        self._last_cpu = cpu_seconds() if cpu_seconds else 0.0
        self.power_w = 0.0
        self.cpu_load = 0.0  # busy fraction of the node's cores since the last sample

    def sample(self) -> None:
        """Measures power since the last sample and lets the room feel it."""
        with self._lock:
            now, joules = self._clock(), self._meter.total_joules()
            dt = now - self._last_t
            if dt <= 0:
                return
            self.power_w = max(0.0, (joules - self._last_j) / dt)
            if self._cpu_seconds is not None:
                cpu = self._cpu_seconds()
                self.cpu_load = min(1.0, max(0.0, (cpu - self._last_cpu) / dt / self._cores))
                self._last_cpu = cpu
            self._room.advance(dt, self.power_w)
            self._thermostat.update(self._room.temperature_c)
            self._last_t, self._last_j = now, joules

    @property
    def meter(self) -> EnergyMeter:
        return self._meter

    @property
    def energy_wh(self) -> float:
        return self._meter.total_joules() / 3600.0

    def room_state(self) -> RoomState:
        with self._lock:
            temperature, setpoint = self._room.temperature_c, self._room.setpoint_c
            if isinstance(self._room, Room):
                predicted = self._room.predicted_temperature(FRAME_HORIZON_S, self._busy_power_w)
            else:
                predicted = temperature  # a real sensor cannot predict; placement treats it as safe
            return RoomState(
                room_c=round(temperature, 3),
                setpoint_c=setpoint,
                wants_heat=self._thermostat.update(temperature),
                predicted_overshoot_k=round(predicted - setpoint, 3),
            )
