"""A task's carbon facts from what its nodes measured: every attempt's energy at that node's site."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.carbon.constants import CI_FRANCE_G_PER_KWH, SiteParams, reference_datacenter
from backend.carbon.formulas import CarbonFacts, EnergySlice, carbon_facts
from backend.fleet.tables import Node
from backend.scheduler.tables import FrameAttempt

# A node that says nothing about its site is taken to be a French room heater (grid: RTE 2023, §1.4)
# whose heat displaces electric resistive heating at that same grid intensity: carbon-and-heat.md §7
# makes this the unknown-site default because it gives the smallest, most conservative heat credit.
DEFAULT_SITE = SiteParams(grid_ci_g_per_kwh=CI_FRANCE_G_PER_KWH)
SITE_FIELDS = (
    "grid_ci_g_per_kwh",
    "pue",
    "displaced_heat_ef_g_per_kwh",
    "heat_capture_efficiency",
    "wue_l_per_kwh",
)


class UnknownDatacenterError(ValueError):
    """The comparison datacentre is not one the farm knows; the message lists the known ones."""


def site_params(site: dict[str, Any]) -> SiteParams:
    values = {k: float(site[k]) for k in SITE_FIELDS if isinstance(site.get(k), int | float)}
    return SiteParams(**{**{k: getattr(DEFAULT_SITE, k) for k in SITE_FIELDS}, **values})


def task_carbon_facts(
    session: Session, task_id: int, datacenter: str | None = None, *, same_grid: bool = False
) -> CarbonFacts:
    """Every attempt counts, failed and lost ones too: their energy was spent all the same.

    Heat only counts as reused when the node's room wanted it when the frame started
    (placement records that per attempt); heat nobody wanted earns no credit.
    """
    try:
        reference = reference_datacenter(datacenter)
    except KeyError as exc:
        raise UnknownDatacenterError(str(exc.args[0])) from exc
    rows = session.execute(
        select(FrameAttempt, Node.site)
        .join(Node, Node.name == FrameAttempt.node_name, isouter=True)
        .where(FrameAttempt.task_id == task_id, FrameAttempt.energy_it_wh > 0)
    ).all()
    slices = [
        EnergySlice(
            energy_it_wh=attempt.energy_it_wh,
            site=site_params(site or {}),
            heat_useful_fraction=1.0 if attempt.heat_wanted else 0.0,
            method=attempt.energy_method or "unknown",
            uncertainty=attempt.energy_uncertainty,
        )
        for attempt, site in rows
    ]
    return carbon_facts(slices, reference, same_grid=same_grid)


def facts_json(facts: CarbonFacts, same_grid: CarbonFacts) -> dict[str, Any]:
    """Qarnot's 14 fields, plus Hearth's own under names Qarnot does not use."""
    return {
        **facts.to_qarnot_dict(),
        "heat_reused_Wh": facts.heat_reused_wh,
        "room_hours_heated": facts.room_hours_heated,
        "household_days_heated": facts.household_days_heated,
        "measurement_method": facts.method,
        "measurement_uncertainty": facts.uncertainty,
        "is_estimate": facts.estimate,
        "same_grid_comparison": same_grid.to_qarnot_dict(),
    }
