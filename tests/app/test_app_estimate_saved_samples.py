"""An "As saved" estimate scales by the samples the scene was saved with (the demo scene: 16), not a guess."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from render_app.estimate import ASSUMED_SAMPLES, scale, scout_settings
from render_app.paths import demo_scene
from render_app.scene_samples import saved_samples
from render_app.state import FrameInfo, TaskInfo
from render_app.widgets.main_window import MainWindow
from render_client.submit import RenderSettings

DEMO_BLEND = demo_scene() / "demo.blend"
DEMO_SAMPLES = 16


def test_reads_the_demo_scenes_saved_samples(tmp_path: Path) -> None:
    assert saved_samples(DEMO_BLEND) == DEMO_SAMPLES
    assert saved_samples(DEMO_BLEND, "no such scene") is None
    (tmp_path / "bad.blend").write_bytes(b"not a blend")
    assert saved_samples(tmp_path / "bad.blend") is None


def test_as_saved_scales_by_the_saved_samples() -> None:
    settings = RenderSettings(frames="1-4", resolution_percent=100)  # samples None: "As saved"
    scout = scout_settings(settings, 1)
    result = scale(settings, scout, time_s=1.0, energy_wh=0.01, carbon={}, nodes=1, saved_samples=16)
    assert result.energy_wh == pytest.approx(0.01 * 16 * (16 / 4) * 4)
    assumed = scale(settings, scout, time_s=1.0, energy_wh=0.01, carbon={}, nodes=1)
    assert assumed.energy_wh == pytest.approx(0.01 * 16 * (ASSUMED_SAMPLES / 4) * 4)


def test_estimate_of_the_demo_scene_uses_its_16_samples(qtbot: Any, window: MainWindow) -> None:
    c = window.controller
    texts: list[str] = []
    settings = RenderSettings(frames="1-4", resolution_percent=100)
    scout = scout_settings(settings, 1)
    carbon = {"qarnot_carbon_footprint": 0.5, "total_energy_it_Wh": 10.0}
    farm = SimpleNamespace(carbon_facts=lambda _uuid: SimpleNamespace(raw=carbon))
    c.session = SimpleNamespace(farm=farm)  # type: ignore[assignment]
    task = TaskInfo("scout-1", "demo scout", "Success", [1], scout=True)
    task.frame_info[1] = FrameInfo(1, "Done", 100.0, "node-1", render_time_s=2.0, energy_wh=0.01)
    c._estimates[task.uuid] = (settings, scout, texts.append, DEMO_BLEND)
    c._finish_estimate(task)
    qtbot.waitUntil(lambda: bool(texts), timeout=10_000)
    expected = scale(settings, scout, time_s=2.0, energy_wh=0.01, carbon=carbon, nodes=1, saved_samples=16)
    assert texts[0] == expected.text()
    assumed = scale(settings, scout, time_s=2.0, energy_wh=0.01, carbon=carbon, nodes=1)
    assert texts[0] != assumed.text()
