"""Carbon-facts formulas: the identities of §1.1-1.3 and the worked examples of §1.5."""

from __future__ import annotations

import pytest

from backend.carbon.constants import (
    CI_GERMANY_G_PER_KWH,
    DEFAULT_DATACENTER,
    EF_GAS_BOILER_G_PER_KWH_HEAT,
    REFERENCE_DATACENTERS,
    ReferenceDatacenter,
    SiteParams,
    reference_datacenter,
)
from backend.carbon.formulas import CarbonFacts, EnergySlice, carbon_facts, heat_useful_fraction

PARIS = SiteParams(grid_ci_g_per_kwh=32.0, pue=1.05, displaced_heat_ef_g_per_kwh=79.0)
REF = ReferenceDatacenter("ref", pue=1.56, grid_ci_g_per_kwh=250.0)


def check_identities(f: CarbonFacts) -> None:
    assert f.saved_carbon_footprint_compute_g + f.saved_carbon_footprint_heat_g == pytest.approx(
        f.saved_carbon_footprint_compute_heat_g
    )
    assert f.equivalent_dc_carbon_footprint_g - f.qarnot_carbon_footprint_g == pytest.approx(
        f.saved_carbon_footprint_compute_heat_g
    )
    assert f.saved_carbon_footprint_percent == pytest.approx(
        100 * f.saved_carbon_footprint_compute_heat_g / f.equivalent_dc_carbon_footprint_g
    )
    assert f.pue == pytest.approx(f.total_consumed_energy_wh / f.total_energy_it_wh)
    assert f.erf == pytest.approx(f.total_reused_energy_wh / f.total_consumed_energy_wh)
    assert f.ere == pytest.approx(
        (f.total_consumed_energy_wh - f.total_reused_energy_wh) / f.total_energy_it_wh
    )
    assert f.ere == pytest.approx((1 - f.erf) * f.pue)


def test_worked_example_1_paris_qrad_in_winter() -> None:
    f = carbon_facts([EnergySlice(2000.0, PARIS, heat_useful_fraction=0.95)], REF)
    assert f.total_consumed_energy_wh == pytest.approx(2100.0)
    assert f.total_reused_energy_wh == pytest.approx(1995.0)
    assert f.qarnot_carbon_footprint_g == pytest.approx(67.2)
    assert f.equivalent_dc_carbon_footprint_g == pytest.approx(937.6, abs=0.01)
    assert f.saved_carbon_footprint_compute_g == pytest.approx(712.8)
    assert f.saved_carbon_footprint_heat_g == pytest.approx(157.6, abs=0.01)
    assert f.saved_carbon_footprint_compute_heat_g == pytest.approx(870.4, abs=0.01)
    assert f.saved_carbon_footprint_percent == pytest.approx(92.8, abs=0.05)
    assert f.ere == pytest.approx(0.0525)
    assert f.erf == pytest.approx(0.95)
    assert f.pue == pytest.approx(1.05)
    assert f.room_hours_heated == pytest.approx(1995.0 / 500.0)
    check_identities(f)


def test_worked_example_2_german_boiler_displacing_gas() -> None:
    site = SiteParams(
        CI_GERMANY_G_PER_KWH, pue=1.08, displaced_heat_ef_g_per_kwh=EF_GAS_BOILER_G_PER_KWH_HEAT
    )
    f = carbon_facts([EnergySlice(2000.0, site, heat_useful_fraction=0.90)], REF)
    assert f.qarnot_carbon_footprint_g == pytest.approx(731.5, abs=0.05)
    assert f.saved_carbon_footprint_heat_g == pytest.approx(486.0, abs=0.05)  # 2160 x 0.9 x 250 g
    assert f.ere == pytest.approx(0.108)
    check_identities(f)


def test_worked_example_3_summer_has_no_heat_credit() -> None:
    f = carbon_facts([EnergySlice(2000.0, PARIS, heat_useful_fraction=0.0)], REF)
    assert f.saved_carbon_footprint_heat_g == 0.0
    assert f.saved_carbon_footprint_compute_heat_g == pytest.approx(712.8)
    assert f.saved_carbon_footprint_percent == pytest.approx(91.4, abs=0.05)
    assert f.erf == 0.0 and f.ere == pytest.approx(f.pue)


def test_same_grid_variant_isolates_pue_and_heat() -> None:
    f = carbon_facts([EnergySlice(2000.0, PARIS, heat_useful_fraction=0.0)], REF, same_grid=True)
    # Same grid: compute savings are only the PUE gap, (1.56 - 1.05) x 2 kWh x 32 g.
    assert f.saved_carbon_footprint_compute_g == pytest.approx((1.56 - 1.05) * 2 * 32.0)
    assert f.equivalent_datacenter_name == "ref-same-grid"
    check_identities(f)


def test_savings_are_signed_never_clamped() -> None:
    dirty = SiteParams(grid_ci_g_per_kwh=760.0, pue=1.05, displaced_heat_ef_g_per_kwh=0.0)
    f = carbon_facts([EnergySlice(1000.0, dirty, heat_useful_fraction=0.0)], REF)
    assert f.saved_carbon_footprint_compute_g < 0
    assert f.saved_carbon_footprint_compute_heat_g < 0
    assert f.saved_carbon_footprint_percent < 0
    check_identities(f)


def test_slices_sum_with_hourly_ci_and_mixed_methods() -> None:
    slices = [
        EnergySlice(100.0, PARIS, 1.0, grid_ci_g_per_kwh=60.0, method="rapl", uncertainty=0.15),
        EnergySlice(300.0, PARIS, 0.0, grid_ci_g_per_kwh=20.0, method="tdp-model", uncertainty=0.4),
    ]
    f = carbon_facts(slices, REF)
    assert f.total_energy_it_wh == 400.0
    assert f.qarnot_carbon_footprint_g == pytest.approx(0.105 * 60 + 0.315 * 20)
    assert f.total_reused_energy_wh == pytest.approx(105.0)
    assert f.method == "rapl+tdp-model" and f.estimate
    assert f.uncertainty == pytest.approx((100 * 0.15 + 300 * 0.4) / 400)
    check_identities(f)


def test_qarnot_dict_uses_the_exact_field_names() -> None:
    d = carbon_facts([EnergySlice(10.0, PARIS)]).to_qarnot_dict()
    assert set(d) == {
        "total_consumed_energy_Wh",
        "total_energy_it_Wh",
        "total_reused_energy_Wh",
        "qarnot_carbon_footprint",
        "equivalent_datacenter_name",
        "equivalent_DC_carbon_footprint",
        "saved_carbon_footprint_compute",
        "saved_carbon_footprint_heat",
        "saved_carbon_footprint_compute_heat",
        "saved_carbon_footprint_percent",
        "PUE",
        "ERE",
        "ERF",
        "WUE",
    }
    assert d["equivalent_datacenter_name"] == DEFAULT_DATACENTER


def test_water_and_empty_task() -> None:
    wet = SiteParams(grid_ci_g_per_kwh=32.0, pue=1.0, wue_l_per_kwh=1.8)
    assert carbon_facts([EnergySlice(2000.0, wet)]).wue_l_per_kwh == pytest.approx(1.8)
    empty = carbon_facts([])
    assert empty.pue == 0.0 and empty.saved_carbon_footprint_percent == 0.0 and empty.method == "none"


def test_reference_datacenters() -> None:
    assert reference_datacenter().name == "european_dc"
    assert reference_datacenter("default-datacenter").pue == REFERENCE_DATACENTERS["european_dc"].pue
    with pytest.raises(KeyError, match="european_dc"):
        reference_datacenter("moon_dc")


def test_heat_useful_fraction_threshold() -> None:
    assert heat_useful_fraction(19.5, 19.0, 0.5) == 1.0
    assert heat_useful_fraction(19.6, 19.0, 0.5) == 0.0


def test_an_unknown_site_displaces_electric_heating_at_its_own_grid_intensity() -> None:
    from backend.carbon.task_facts import site_params

    unknown = site_params({})
    dirty_grid = site_params({"grid_ci_g_per_kwh": 400.0})
    annual = carbon_facts([EnergySlice(1000.0, dirty_grid, 1.0)], REF)
    hourly = carbon_facts([EnergySlice(1000.0, dirty_grid, 1.0, grid_ci_g_per_kwh=60.0)], REF)

    assert unknown.displaced_heat_ef_g_per_kwh is None  # §7: electric resistive at grid CI
    reused_kwh = 1000.0 * dirty_grid.pue * dirty_grid.heat_capture_efficiency / 1000.0
    assert annual.saved_carbon_footprint_heat_g == pytest.approx(reused_kwh * 400.0)
    assert hourly.saved_carbon_footprint_heat_g == pytest.approx(reused_kwh * 60.0)
    check_identities(annual)
