"""Default carbon and heat constants (docs/carbon-and-heat.md §1.4), each with its source and year."""

from __future__ import annotations

from dataclasses import dataclass

# --- Power usage effectiveness (dimensionless) ---
# Uptime Institute global survey average; 1.58 (2023), 1.56 (2024), flat 1.55-1.59 since 2020.
PUE_CLASSIC_DC = 1.56
PUE_HYPERSCALE = 1.135  # AWS figure in Cloud Carbon Footprint constants (GCP 1.1, Azure 1.185).
PUE_ON_PREMISE = 1.58  # Cloud Carbon Footprint ON_PREMISE constant.
PUE_ROOM_HEATER = 1.03  # Engineering estimate 1.02-1.05: no cooling, router/controller share only.
PUE_BOILER = 1.08  # Engineering estimate 1.05-1.10: circulation pumps and controls.

# --- Water usage effectiveness (L/kWh of IT energy) ---
WUE_CLASSIC_DC_L_PER_KWH = 1.8  # LBNL 2016 US data-centre report, evaporative cooling (re-check).
WUE_HEATER_L_PER_KWH = 0.0  # No evaporative cooling, by construction.

# --- Grid carbon intensity (gCO2e/kWh, location-based) ---
CI_WORLD_G_PER_KWH = 475.0  # IEA 2019 via Green Algorithms and CodeCarbon.
CI_FRANCE_G_PER_KWH = 32.0  # RTE bilan electrique 2023.
CI_GERMANY_G_PER_KWH = 338.66  # Green Algorithms CI_aggregated (AIB 2020); ~380 g in 2023 per UBA.
CI_EU_REF_DC_G_PER_KWH = 250.0  # EEA: 281 g in 2018, falling since; rounded reference-DC default.
CI_BY_COUNTRY_G_PER_KWH: dict[str, float] = {
    # Green Algorithms CI_aggregated.csv (AIB 2020), except FR (RTE 2023) and EU (EEA-based default).
    "FR": CI_FRANCE_G_PER_KWH,
    "DE": CI_GERMANY_G_PER_KWH,
    "AT": 111.0,
    "BE": 162.0,
    "NL": 374.0,
    "PL": 760.0,
    "SE": 5.7,
    "NO": 7.6,
    "CH": 11.5,
    "GB": 231.0,
    "EU": CI_EU_REF_DC_G_PER_KWH,
    "WORLD": CI_WORLD_G_PER_KWH,
}

# --- Emission factors of displaced heating (gCO2e per kWh of delivered heat) ---
EF_GAS_BOILER_G_PER_KWH_HEAT = 250.0  # ADEME/DPE-2021 0.227 kg/kWh fuel / boiler efficiency 0.9.
EF_HEATING_OIL_G_PER_KWH_HEAT = 360.0  # DPE tables 0.300-0.324 kg/kWh fuel / efficiency 0.85.
# Electric resistive heating displaces the site's own grid: EF = CI_site (1.0 x grid, §1.4). That is the
# default for a site that does not say what it heats with (§7: conservative). The French RE2020
# regulatory convention is a per-site alternative, never the default.
EF_ELECTRIC_RE2020_G_PER_KWH_HEAT = 79.0  # ADEME/RE2020 note; historic conventions 180-210 g.
HEAT_PUMP_SCOP = 3.0  # Common practice, range 2.5-4.5; EF = grid CI / SCOP.

# --- Other ---
MEMORY_POWER_W_PER_GB = 0.3725  # Green Algorithms reference values (CodeCarbon v2: 3 W per 8 GB).
ROOM_HEATER_POWER_W = 500.0  # Q.rad class radiator; used for "room-hours of heating" (§1.6).
HOUSEHOLD_HEATING_WH_PER_DAY = 9_800_000.0 / 365.0  # French residential heating per home (§1.6).

DEFAULT_DATACENTER = "european_dc"


@dataclass(frozen=True)
class SiteParams:
    """Where the energy was used: grid, overhead, what heating the reused heat displaces, water."""

    grid_ci_g_per_kwh: float
    pue: float = PUE_ROOM_HEATER
    # None: electric resistive heating at this site's grid intensity (§1.4, §7).
    displaced_heat_ef_g_per_kwh: float | None = None
    heat_capture_efficiency: float = 1.0
    wue_l_per_kwh: float = WUE_HEATER_L_PER_KWH


@dataclass(frozen=True)
class ReferenceDatacenter:
    """The classic data centre a task is compared against (Qarnot's `comparisonDatacenter`)."""

    name: str
    pue: float
    grid_ci_g_per_kwh: float
    wue_l_per_kwh: float = WUE_CLASSIC_DC_L_PER_KWH


REFERENCE_DATACENTERS: dict[str, ReferenceDatacenter] = {
    # Qarnot's CLI default name; a generic European DC: survey-average PUE on the EU reference grid.
    "european_dc": ReferenceDatacenter("european_dc", PUE_CLASSIC_DC, CI_EU_REF_DC_G_PER_KWH),
    "default-datacenter": ReferenceDatacenter("default-datacenter", PUE_CLASSIC_DC, CI_EU_REF_DC_G_PER_KWH),
    "french_dc": ReferenceDatacenter("french_dc", PUE_CLASSIC_DC, CI_FRANCE_G_PER_KWH),
    "german_dc": ReferenceDatacenter("german_dc", PUE_CLASSIC_DC, CI_GERMANY_G_PER_KWH),
    "world_dc": ReferenceDatacenter("world_dc", PUE_CLASSIC_DC, CI_WORLD_G_PER_KWH),
    "hyperscale_eu": ReferenceDatacenter("hyperscale_eu", PUE_HYPERSCALE, CI_EU_REF_DC_G_PER_KWH),
}


def reference_datacenter(name: str | None = None) -> ReferenceDatacenter:
    """The named reference DC; `None` gives the default. Raises KeyError naming the known ones."""
    key = name or DEFAULT_DATACENTER
    try:
        return REFERENCE_DATACENTERS[key]
    except KeyError:
        known = ", ".join(sorted(REFERENCE_DATACENTERS))
        raise KeyError(f"unknown reference datacenter {key!r}; known: {known}") from None
