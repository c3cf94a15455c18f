"""The simulated room a heater node warms (docs/carbon-and-heat.md §4), its thermostat, and a sensor seam."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_SETPOINT_C = 19.0  # French regulatory reference for occupied rooms (§4.1).
DEFAULT_DEADBAND_K = 0.5
DEFAULT_OUTDOOR_C = 5.0  # Paris January mean (§4.2).
# Scheduler rule of §3.2: never start a task predicted to push the room this far over its set-point.
MAX_OVERHEAT_K = 3.0


class ThermalMode(enum.Enum):
    TWO_NODE = "2r2c"  # air + building mass: realistic fast and slow response
    ONE_NODE = "1r1c"  # a single time constant: cheaper, for long coarse simulations


@dataclass(frozen=True)
class RoomParams:
    """A 20 m² room of medium mass heated by one 500 W node (§4.2 defaults)."""

    h_ve_w_per_k: float = 8.5  # air <-> outside, ventilation at 0.5 ACH
    h_tr_w_per_k: float = 17.0  # mass <-> outside, transmission
    h_am_w_per_k: float = 455.0  # air <-> mass, ISO 13790 h_ms x A_m
    c_air_j_per_k: float = 0.30e6  # air and furniture
    c_mass_j_per_k: float = 3.3e6  # building mass
    gains_air_w: float = 0.0  # occupants, appliances, sun on the air node
    gains_mass_w: float = 0.0

    @property
    def ua_w_per_k(self) -> float:
        """Steady-state loss coefficient of the air node to outside (ventilation + mass path in series)."""
        series = self.h_am_w_per_k * self.h_tr_w_per_k / (self.h_am_w_per_k + self.h_tr_w_per_k)
        return self.h_ve_w_per_k + series

    @property
    def gains_w(self) -> float:
        return self.gains_air_w + self.gains_mass_w


@runtime_checkable
class RoomSensor(Protocol):
    """What the node agent needs from a room: the simulation below, or a real thermometer plug-in."""

    @property
    def temperature_c(self) -> float: ...

    @property
    def setpoint_c(self) -> float: ...

    def advance(self, dt_s: float, power_w: float) -> None:
        """Tells the room that the node drew `power_w` for `dt_s`; a real sensor just re-reads."""


def _expm2(
    a11: FloatArray, a12: FloatArray, a21: FloatArray, a22: FloatArray, dt: float
) -> tuple[FloatArray, ...]:
    """exp(A·dt) of 2x2 matrices by Sylvester's formula; RC networks have real, distinct eigenvalues."""
    tr = (a11 + a22) * dt
    det = (a11 * a22 - a12 * a21) * dt * dt
    disc = np.sqrt(np.maximum(tr * tr / 4.0 - det, 0.0))
    l1, l2 = tr / 2.0 + disc, tr / 2.0 - disc
    e1, e2 = np.exp(l1), np.exp(l2)
    span = np.where(l1 - l2 == 0.0, 1.0, l1 - l2)
    c0 = np.where(l1 - l2 == 0.0, e1 * (1.0 - l1), (l1 * e2 - l2 * e1) / span)
    c1 = np.where(l1 - l2 == 0.0, e1, (e1 - e2) / span)
    return c0 + c1 * a11 * dt, c1 * a12 * dt, c1 * a21 * dt, c0 + c1 * a22 * dt


def step_2r2c(
    t_air: FloatArray,
    t_mass: FloatArray,
    dt_s: float,
    power_w: FloatArray,
    t_out_c: FloatArray,
    *,
    p: RoomParams,
) -> tuple[FloatArray, FloatArray]:
    """Exact step for inputs constant over dt_s (unconditionally stable); works on scalars or arrays."""
    ca, cm = p.c_air_j_per_k, p.c_mass_j_per_k
    a11 = np.asarray(-(p.h_am_w_per_k + p.h_ve_w_per_k) / ca, dtype=np.float64)
    a12 = np.asarray(p.h_am_w_per_k / ca, dtype=np.float64)
    a21 = np.asarray(p.h_am_w_per_k / cm, dtype=np.float64)
    a22 = np.asarray(-(p.h_am_w_per_k + p.h_tr_w_per_k) / cm, dtype=np.float64)
    b_air = (power_w + p.gains_air_w + p.h_ve_w_per_k * t_out_c) / ca
    b_mass = (p.gains_mass_w + p.h_tr_w_per_k * t_out_c) / cm
    # Equilibrium x_eq solves A x_eq + b = 0; the state relaxes to it through exp(A dt).
    det = a11 * a22 - a12 * a21
    eq_air = (-a22 * b_air + a12 * b_mass) / det
    eq_mass = (a21 * b_air - a11 * b_mass) / det
    m11, m12, m21, m22 = _expm2(a11, a12, a21, a22, dt_s)
    d_air, d_mass = t_air - eq_air, t_mass - eq_mass
    return eq_air + m11 * d_air + m12 * d_mass, eq_mass + m21 * d_air + m22 * d_mass


def step_1r1c(
    t: FloatArray, dt_s: float, power_w: FloatArray, t_out_c: FloatArray, *, p: RoomParams
) -> FloatArray:
    ua = p.ua_w_per_k
    tau_s = (p.c_air_j_per_k + p.c_mass_j_per_k) / ua
    t_eq = t_out_c + (power_w + p.gains_w) / ua
    return np.asarray(t_eq + (t - t_eq) * np.exp(-dt_s / tau_s), dtype=np.float64)


def _arr(value: float | None) -> FloatArray:
    return np.array([value], dtype=np.float64)


@dataclass
class Thermostat:
    """Set-point with a deadband and hysteresis: calls for heat below the band, stops above it."""

    setpoint_c: float = DEFAULT_SETPOINT_C
    deadband_k: float = DEFAULT_DEADBAND_K
    calling: bool = True

    def update(self, temperature_c: float) -> bool:
        if temperature_c < self.setpoint_c - self.deadband_k:
            self.calling = True
        elif temperature_c > self.setpoint_c + self.deadband_k:
            self.calling = False
        return self.calling

    def heat_weight(self, temperature_c: float) -> float:
        """w(t) of §3.2: 1 below the band, linear 1 -> 0 across it, 0 above."""
        low = self.setpoint_c - self.deadband_k / 2.0
        high = self.setpoint_c + self.deadband_k / 2.0
        if temperature_c <= low:
            return 1.0
        if temperature_c >= high:
            return 0.0
        return (high - temperature_c) / (high - low)

    def heat_useful_fraction(self, temperature_c: float) -> float:
        """h of §1.3: heat counts as useful while the room is at or below set-point + deadband."""
        return 1.0 if temperature_c <= self.setpoint_c + self.deadband_k else 0.0


@dataclass
class Room:
    """One simulated room, driven by the node's real power draw; implements RoomSensor."""

    params: RoomParams = field(default_factory=RoomParams)
    t_air_c: float = 15.0
    t_mass_c: float | None = None
    t_out_c: float = DEFAULT_OUTDOOR_C
    mode: ThermalMode = ThermalMode.TWO_NODE
    thermostat: Thermostat = field(default_factory=Thermostat)

    def __post_init__(self) -> None:
        if self.t_mass_c is None:
            self.t_mass_c = self.t_air_c
        self.thermostat.update(self.t_air_c)

    @property
    def temperature_c(self) -> float:
        return self.t_air_c

    @property
    def setpoint_c(self) -> float:
        return self.thermostat.setpoint_c

    @property
    def wants_heat(self) -> bool:
        return self.thermostat.calling

    @property
    def heat_demand_w(self) -> float:
        """Heat needed to hold the set-point against current losses (§4.1 proxy), never negative."""
        p = self.params
        return max(0.0, p.ua_w_per_k * (self.setpoint_c - self.t_out_c) - p.gains_w)

    def _stepped(self, dt_s: float, power_w: float) -> tuple[float, float]:
        assert self.t_mass_c is not None
        air, mass, power, out = (_arr(v) for v in (self.t_air_c, self.t_mass_c, power_w, self.t_out_c))
        if self.mode is ThermalMode.ONE_NODE:
            t = float(step_1r1c(air, dt_s, power, out, p=self.params)[0])
            return t, t
        new_air, new_mass = step_2r2c(air, mass, dt_s, power, out, p=self.params)
        return float(new_air[0]), float(new_mass[0])

    def advance(self, dt_s: float, power_w: float) -> None:
        if dt_s <= 0:
            return
        self.t_air_c, self.t_mass_c = self._stepped(dt_s, power_w)
        self.thermostat.update(self.t_air_c)

    def predicted_temperature(self, after_s: float, power_w: float) -> float:
        """Air temperature after `after_s` at a constant `power_w`; the state is left untouched."""
        if after_s <= 0:
            return self.t_air_c
        return self._stepped(after_s, power_w)[0]

    def would_overheat(self, after_s: float, power_w: float, margin_k: float = MAX_OVERHEAT_K) -> bool:
        """The scheduler's check: would `power_w` for `after_s` push the room past set-point + margin?"""
        return self.predicted_temperature(after_s, power_w) > self.setpoint_c + margin_k

    def steady_state_temperature(self, power_w: float) -> float:
        return self.t_out_c + (power_w + self.params.gains_w) / self.params.ua_w_per_k


@dataclass
class RoomArray:
    """Thousands of rooms sharing one parameter class, stepped together with numpy (for simulators)."""

    t_air_c: FloatArray
    t_mass_c: FloatArray
    params: RoomParams = field(default_factory=RoomParams)

    @classmethod
    def uniform(cls, count: int, t_air_c: float, params: RoomParams | None = None) -> RoomArray:
        air = np.full(count, t_air_c, dtype=np.float64)
        return cls(t_air_c=air, t_mass_c=air.copy(), params=params or RoomParams())

    def advance(self, dt_s: float, power_w: FloatArray, t_out_c: FloatArray) -> None:
        self.t_air_c, self.t_mass_c = step_2r2c(
            self.t_air_c, self.t_mass_c, dt_s, power_w, t_out_c, p=self.params
        )
