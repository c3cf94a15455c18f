"""The scout-render estimate scales by pixels x samples x frames and spreads frames over nodes."""

from __future__ import annotations

import pytest

from render_app.estimate import scale, scout_settings
from render_client.submit import RenderSettings


def test_estimate_scales_by_pixels_samples_and_frames() -> None:
    settings = RenderSettings(frames="1-10", samples=64, resolution_percent=100)
    scout = scout_settings(settings, 1)
    assert (scout.frames, scout.samples, scout.resolution_percent) == ("1", 4, 25)
    carbon = {"qarnot_carbon_footprint": 0.5, "total_energy_it_Wh": 10.0}
    result = scale(settings, scout, time_s=2.0, energy_wh=0.01, carbon=carbon, nodes=2)
    per_frame = 16 * 16  # (100/25)² pixels x 64/4 samples
    assert result.frames == 10
    assert result.energy_wh == pytest.approx(0.01 * per_frame * 10)
    assert result.time_s == pytest.approx(2.0 * per_frame * 10 / 2)
    assert result.co2_g == pytest.approx(result.energy_wh * 0.05)
    assert result.text().startswith("Estimate")
