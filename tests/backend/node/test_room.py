"""The simulated room: physics sanity, thermostat, prediction, sensor seam, vectorised stepping."""

from __future__ import annotations

import numpy as np
import pytest

from backend.node.room import (
    Room,
    RoomArray,
    RoomParams,
    RoomSensor,
    ThermalMode,
    Thermostat,
    step_2r2c,
)

DAY_S = 86_400.0
YEAR_S = 365 * DAY_S


@pytest.mark.parametrize("mode", list(ThermalMode))
@pytest.mark.parametrize("power_w", [0.0, 250.0, 500.0])
def test_steady_state_rise_is_power_over_ua(mode: ThermalMode, power_w: float) -> None:
    room = Room(t_air_c=12.0, t_out_c=5.0, mode=mode)
    room.advance(YEAR_S, power_w)
    assert room.temperature_c == pytest.approx(5.0 + power_w / room.params.ua_w_per_k, abs=1e-6)
    assert room.steady_state_temperature(power_w) == pytest.approx(room.temperature_c, abs=1e-6)


def test_ua_defaults_match_the_spec() -> None:
    assert RoomParams().ua_w_per_k == pytest.approx(25.0, abs=0.5)


def test_heating_raises_and_cooling_lowers_temperature() -> None:
    room = Room(t_air_c=15.0, t_out_c=5.0)
    room.advance(900.0, 500.0)
    # §4.2 sanity: the air jumps about 1 K in 15 min, then the mass slows it down.
    assert 15.3 < room.temperature_c < 16.5
    warm = room.temperature_c
    room.advance(3600.0, 0.0)
    assert room.temperature_c < warm


def test_exact_step_matches_fine_euler_and_is_step_size_independent() -> None:
    p = RoomParams()
    air = mass = 15.0
    for _ in range(3600):  # 1 h of 1 s explicit Euler steps
        d_air = (500.0 + p.h_am_w_per_k * (mass - air) + p.h_ve_w_per_k * (5.0 - air)) / p.c_air_j_per_k
        d_mass = (p.h_am_w_per_k * (air - mass) + p.h_tr_w_per_k * (5.0 - mass)) / p.c_mass_j_per_k
        air, mass = air + d_air, mass + d_mass
    one = Room(t_air_c=15.0, t_out_c=5.0)
    one.advance(3600.0, 500.0)
    many = Room(t_air_c=15.0, t_out_c=5.0)
    for _ in range(60):
        many.advance(60.0, 500.0)
    assert one.temperature_c == pytest.approx(air, abs=0.01)
    assert many.temperature_c == pytest.approx(one.temperature_c, abs=1e-9)


def test_a_day_of_heating_from_15c_lands_near_20c() -> None:
    room = Room(t_air_c=15.0, t_out_c=5.0)
    assert room.predicted_temperature(DAY_S, 500.0) == pytest.approx(20.0, abs=0.7)


def test_wants_heat_flips_with_hysteresis() -> None:
    room = Room(t_air_c=17.0, t_out_c=5.0, thermostat=Thermostat(setpoint_c=19.0, deadband_k=0.5))
    assert room.wants_heat
    while room.temperature_c <= 19.5:
        room.advance(600.0, 500.0)
        if room.temperature_c < 19.5:
            assert room.wants_heat  # still inside or below the band: keep heating
    assert not room.wants_heat
    while room.temperature_c >= 18.5:
        room.advance(600.0, 0.0)
        if room.temperature_c > 18.5:
            assert not room.wants_heat
    assert room.wants_heat


def test_prediction_does_not_change_state_and_flags_overheat() -> None:
    room = Room(t_air_c=19.0, t_out_c=5.0)
    before = (room.t_air_c, room.t_mass_c)
    assert room.predicted_temperature(0.0, 500.0) == 19.0
    hot = room.predicted_temperature(30 * DAY_S, 2000.0)
    assert hot > 19.0 + 3.0
    assert room.would_overheat(30 * DAY_S, 2000.0)
    assert not room.would_overheat(600.0, 100.0)
    assert (room.t_air_c, room.t_mass_c) == before


def test_heat_demand_and_heat_weight() -> None:
    room = Room(t_air_c=19.0, t_out_c=5.0)
    assert room.heat_demand_w == pytest.approx(room.params.ua_w_per_k * 14.0)
    assert Room(t_air_c=19.0, t_out_c=25.0).heat_demand_w == 0.0
    stat = Thermostat(setpoint_c=20.0, deadband_k=1.0)
    assert stat.heat_weight(19.0) == 1.0
    assert stat.heat_weight(20.0) == pytest.approx(0.5)
    assert stat.heat_weight(21.0) == 0.0
    assert stat.heat_useful_fraction(21.0) == 1.0
    assert stat.heat_useful_fraction(21.01) == 0.0


def test_room_is_a_room_sensor() -> None:
    assert isinstance(Room(), RoomSensor)


def test_room_array_matches_single_rooms() -> None:
    rooms = RoomArray.uniform(5000, 15.0)
    power = np.linspace(0.0, 1000.0, 5000)
    out = np.full(5000, 5.0)
    for _ in range(10):
        rooms.advance(60.0, power, out)
    single = Room(t_air_c=15.0, t_out_c=5.0)
    for _ in range(10):
        single.advance(60.0, float(power[-1]))
    assert rooms.t_air_c[-1] == pytest.approx(single.temperature_c)
    assert np.all(np.diff(rooms.t_air_c) > 0)  # more power, warmer room
    air, _ = step_2r2c(
        np.array([15.0]), np.array([15.0]), 0.0, np.array([500.0]), np.array([5.0]), p=RoomParams()
    )
    assert air[0] == pytest.approx(15.0)
