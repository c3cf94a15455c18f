"""The carbon-facts formulas of docs/carbon-and-heat.md §1.3 and §1.6, as pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from backend.carbon.constants import (
    HOUSEHOLD_HEATING_WH_PER_DAY,
    ROOM_HEATER_POWER_W,
    ReferenceDatacenter,
    SiteParams,
    reference_datacenter,
)

WH_PER_KWH = 1000.0


@dataclass(frozen=True)
class EnergySlice:
    """IT energy measured on one node over one interval, with the conditions that held then.

    `heat_useful_fraction` is h of §1.3 (1 when the room wanted heat). `grid_ci_g_per_kwh` overrides the
    site's annual grid intensity with an hourly one; `water_l` overrides E_IT x site WUE.
    """

    energy_it_wh: float
    site: SiteParams
    heat_useful_fraction: float = 1.0
    grid_ci_g_per_kwh: float | None = None
    water_l: float | None = None
    method: str = "tdp-model"
    uncertainty: float = 0.4

    @property
    def ci(self) -> float:
        return self.site.grid_ci_g_per_kwh if self.grid_ci_g_per_kwh is None else self.grid_ci_g_per_kwh

    @property
    def heat_ef(self) -> float:
        """EF of the displaced heating; unset, electric resistive heating on this same grid (§1.4, §7)."""
        ef = self.site.displaced_heat_ef_g_per_kwh
        return self.ci if ef is None else ef

    @property
    def energy_total_wh(self) -> float:
        return self.energy_it_wh * self.site.pue

    @property
    def energy_reused_wh(self) -> float:
        return self.energy_total_wh * self.site.heat_capture_efficiency * self.heat_useful_fraction

    @property
    def water(self) -> float:
        if self.water_l is not None:
            return self.water_l
        return self.energy_it_wh / WH_PER_KWH * self.site.wue_l_per_kwh


@dataclass(frozen=True)
class CarbonFacts:
    """Qarnot's 14 carbon-facts fields (as snake_case attributes) plus Hearth's own heat figures."""

    total_consumed_energy_wh: float
    total_energy_it_wh: float
    total_reused_energy_wh: float
    qarnot_carbon_footprint_g: float
    equivalent_datacenter_name: str
    equivalent_dc_carbon_footprint_g: float
    saved_carbon_footprint_compute_g: float
    saved_carbon_footprint_heat_g: float
    saved_carbon_footprint_compute_heat_g: float
    saved_carbon_footprint_percent: float
    pue: float
    ere: float
    erf: float
    wue_l_per_kwh: float
    # Hearth extras (§1.6 equivalences and measurement provenance).
    heat_reused_wh: float
    room_hours_heated: float
    household_days_heated: float
    method: str
    uncertainty: float
    estimate: bool

    def to_qarnot_dict(self) -> dict[str, Any]:
        """The JSON object with Qarnot's exact field names and units."""
        return {
            "total_consumed_energy_Wh": self.total_consumed_energy_wh,
            "total_energy_it_Wh": self.total_energy_it_wh,
            "total_reused_energy_Wh": self.total_reused_energy_wh,
            "qarnot_carbon_footprint": self.qarnot_carbon_footprint_g,
            "equivalent_datacenter_name": self.equivalent_datacenter_name,
            "equivalent_DC_carbon_footprint": self.equivalent_dc_carbon_footprint_g,
            "saved_carbon_footprint_compute": self.saved_carbon_footprint_compute_g,
            "saved_carbon_footprint_heat": self.saved_carbon_footprint_heat_g,
            "saved_carbon_footprint_compute_heat": self.saved_carbon_footprint_compute_heat_g,
            "saved_carbon_footprint_percent": self.saved_carbon_footprint_percent,
            "PUE": self.pue,
            "ERE": self.ere,
            "ERF": self.erf,
            "WUE": self.wue_l_per_kwh,
        }


def _ratio(num: float, den: float) -> float:
    # An empty task (no energy yet) reports zeros rather than dividing by zero.
    return num / den if den else 0.0


def _method_label(slices: Sequence[EnergySlice]) -> str:
    methods = sorted({s.method for s in slices})
    return "+".join(methods) if methods else "none"


def carbon_facts(
    slices: Iterable[EnergySlice],
    reference: ReferenceDatacenter | str | None = None,
    *,
    same_grid: bool = False,
    room_power_w: float = ROOM_HEATER_POWER_W,
) -> CarbonFacts:
    """Carbon facts of a task from its energy slices, compared against `reference` (default european_dc).

    With `same_grid` the reference DC runs on each slice's own grid (§1.3 variant b), isolating the
    PUE and heat-reuse benefits from grid luck. Savings keep their sign: a dirty grid gives negatives.
    """
    ref = reference if isinstance(reference, ReferenceDatacenter) else reference_datacenter(reference)
    items = list(slices)
    e_it = sum(s.energy_it_wh for s in items)
    e_tot = sum(s.energy_total_wh for s in items)
    e_reuse = sum(s.energy_reused_wh for s in items)
    water = sum(s.water for s in items)
    c_q = sum(s.energy_total_wh / WH_PER_KWH * s.ci for s in items)
    c_dc = sum(
        s.energy_it_wh / WH_PER_KWH * ref.pue * (s.ci if same_grid else ref.grid_ci_g_per_kwh) for s in items
    )
    c_h = sum(s.energy_reused_wh / WH_PER_KWH * s.heat_ef for s in items)
    equivalent = c_dc + c_h
    saved_total = c_dc + c_h - c_q
    # Energy-weighted: the errors of one node's meter are correlated across its slices.
    uncertainty = _ratio(sum(s.energy_it_wh * s.uncertainty for s in items), e_it)
    method = _method_label(items)
    return CarbonFacts(
        total_consumed_energy_wh=e_tot,
        total_energy_it_wh=e_it,
        total_reused_energy_wh=e_reuse,
        qarnot_carbon_footprint_g=c_q,
        equivalent_datacenter_name=ref.name + ("-same-grid" if same_grid else ""),
        equivalent_dc_carbon_footprint_g=equivalent,
        saved_carbon_footprint_compute_g=c_dc - c_q,
        saved_carbon_footprint_heat_g=c_h,
        saved_carbon_footprint_compute_heat_g=saved_total,
        saved_carbon_footprint_percent=100.0 * _ratio(saved_total, equivalent),
        pue=_ratio(e_tot, e_it),
        ere=_ratio(e_tot - e_reuse, e_it),
        erf=_ratio(e_reuse, e_tot),
        wue_l_per_kwh=_ratio(water, e_it / WH_PER_KWH),
        heat_reused_wh=e_reuse,
        room_hours_heated=_ratio(e_reuse, room_power_w),
        household_days_heated=_ratio(e_reuse, HOUSEHOLD_HEATING_WH_PER_DAY),
        method=method,
        uncertainty=uncertainty,
        estimate=any("model" in s.method for s in items),
    )


def heat_useful_fraction(room_temp_c: float, setpoint_c: float, deadband_k: float = 0.5) -> float:
    """h of §1.3 for a room heater: 1 while the room is at or below set-point + deadband, else 0."""
    return 1.0 if room_temp_c <= setpoint_c + deadband_k else 0.0


def with_site(slice_: EnergySlice, site: SiteParams) -> EnergySlice:
    """The same measurement re-evaluated for another site (what-if comparisons)."""
    return replace(slice_, site=site)
