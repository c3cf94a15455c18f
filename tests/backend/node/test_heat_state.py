"""HeatState: measured power and CPU load drive the room; placement gets its heat state."""

from __future__ import annotations

from backend.node.heat import HeatState
from backend.node.room import Room, Thermostat


class FakeMeter:
    method = "tdp-model"
    uncertainty = 0.4
    coverage = ("cpu-model",)

    def __init__(self) -> None:
        self.joules = 0.0

    def total_joules(self) -> float:
        return self.joules


def test_power_and_load_come_from_the_meter_and_cpu_time_and_warm_the_room() -> None:
    clock, cpu, meter = [0.0], [0.0], FakeMeter()
    room = Room(t_air_c=17.0, thermostat=Thermostat(setpoint_c=19.0))
    heat = HeatState(
        room, meter, busy_power_w=500.0, clock=lambda: clock[0], cpu_seconds=lambda: cpu[0], cores=2
    )

    clock[0], cpu[0], meter.joules = 600.0, 600.0, 500.0 * 600
    heat.sample()

    assert heat.power_w == 500.0 and heat.cpu_load == 0.5
    assert room.temperature_c > 17.0
    state = heat.room_state()
    assert state.wants_heat and state.setpoint_c == 19.0
    assert state.predicted_overshoot_k > state.room_c - 19.0  # a busy 500 W node keeps warming the room


def test_a_room_above_its_band_does_not_want_heat() -> None:
    room = Room(t_air_c=22.0, thermostat=Thermostat(setpoint_c=19.0))
    heat = HeatState(room, FakeMeter(), busy_power_w=50.0)

    assert not heat.room_state().wants_heat
