"""Cost estimate from a scout render: one frame at low cost, scaled by pixels x samples x frames."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from render_client.frames import parse_frames
from render_client.submit import RenderSettings

SCOUT_PERCENT = 25
SCOUT_SAMPLES = 4
ASSUMED_SAMPLES = 64  # only when neither the dialog nor the saved scene gives a sample count


@dataclass(frozen=True)
class Estimate:
    time_s: float
    energy_wh: float
    co2_g: float
    frames: int

    def text(self) -> str:
        minutes = self.time_s / 60
        when = f"{self.time_s:.0f} s" if minutes < 2 else f"{minutes:.0f} min"
        return (
            f"Estimate (from a scout frame): ~{when}, ~{self.energy_wh:.2f} Wh, "
            f"~{self.co2_g:.2f} g CO₂e for {self.frames} frame(s)"
        )


def scout_settings(settings: RenderSettings, first_frame: int) -> RenderSettings:
    """One frame at a quarter resolution (or less) and 4 samples: cheap, but it runs the real scene."""
    percent = min(SCOUT_PERCENT, settings.resolution_percent or 100)
    samples = min(SCOUT_SAMPLES, settings.samples or SCOUT_SAMPLES)
    return replace(
        settings,
        frames=str(first_frame),
        resolution_percent=percent,
        samples=samples,
        name=(settings.name or "scene") + " scout",
        priority=100,
    )


def scale(
    settings: RenderSettings,
    scout: RenderSettings,
    *,
    time_s: float,
    energy_wh: float,
    carbon: dict[str, Any],
    nodes: int,
    saved_samples: int | None = None,
) -> Estimate:
    """Render cost grows with pixels (percent²) and samples; frames spread over the nodes.

    "As saved" samples (`settings.samples` None) are the scene's own, `saved_samples`, read from the .blend.
    """
    frames = len(parse_frames(settings.frames))
    pixels = ((settings.resolution_percent or 100) / (scout.resolution_percent or 100)) ** 2
    samples = (settings.samples or saved_samples or ASSUMED_SAMPLES) / (scout.samples or 1)
    per_frame = pixels * samples
    energy = energy_wh * per_frame * frames
    footprint = float(carbon.get("qarnot_carbon_footprint") or 0.0)
    it_wh = float(carbon.get("total_energy_it_Wh") or 0.0)
    g_per_wh = footprint / it_wh if it_wh > 0 else 0.032  # French grid, 32 g/kWh, if the farm said nothing
    return Estimate(time_s * per_frame * frames / max(1, nodes), energy, energy * g_per_wh, frames)
