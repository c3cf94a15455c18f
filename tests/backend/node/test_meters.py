"""RAPL against a fake powercap tree, the TDP model, the probe, and per-frame measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.node.meters import (
    MODEL_METHOD,
    RAPL_METHOD,
    RAPL_SHARED_METHOD,
    FrameEnergy,
    ProcessCpuTime,
    RaplMeter,
    TdpModelMeter,
    meter_for_process,
    probe_meter,
    rapl_readable,
)

RANGE_UJ = 262_143_328_850


def make_zone(root: Path, name: str, dirname: str, energy_uj: int, range_uj: int = RANGE_UJ) -> Path:
    zone = root / dirname
    zone.mkdir(parents=True)
    (zone / "name").write_text(name + "\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{range_uj}\n")
    return zone


def set_energy(zone: Path, energy_uj: int) -> None:
    (zone / "energy_uj").write_text(f"{energy_uj}\n")


@pytest.fixture
def sysfs(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = tmp_path / "powercap"
    pkg0 = make_zone(root, "package-0", "intel-rapl:0", 1_000_000)
    pkg1 = make_zone(root, "package-1", "intel-rapl:1", 5_000_000)
    # Sub-zones overlap their package and psys covers the platform: neither may be summed.
    make_zone(root, "core", "intel-rapl:0/intel-rapl:0:0", 0)
    make_zone(root, "dram", "intel-rapl:0:1", 0)
    make_zone(root, "psys", "intel-rapl:2", 0)
    return root, pkg0, pkg1


def test_rapl_sums_packages_only(sysfs: tuple[Path, Path, Path]) -> None:
    root, pkg0, pkg1 = sysfs
    meter = RaplMeter(root)
    assert meter.total_joules() == 0.0
    set_energy(pkg0, 3_000_000)  # +2 J
    set_energy(pkg1, 8_000_000)  # +3 J
    set_energy(root / "intel-rapl:0:1", 99_000_000)  # dram: ignored
    assert meter.total_joules() == pytest.approx(5.0)
    assert meter.method == RAPL_METHOD


def test_rapl_handles_counter_wrap(tmp_path: Path) -> None:
    zone = make_zone(tmp_path, "package-0", "intel-rapl:0", 990_000, range_uj=1_000_000)
    meter = RaplMeter(tmp_path)
    set_energy(zone, 10_000)  # wrapped: 10_000 uJ to the top + 10_000 uJ after it
    assert meter.total_joules() == pytest.approx(0.02)
    set_energy(zone, 510_000)
    assert meter.total_joules() == pytest.approx(0.52)


def test_probe_picks_rapl_when_readable_else_model(sysfs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, _, _ = sysfs
    assert rapl_readable(root)
    assert probe_meter(rapl_root=root).method == RAPL_METHOD
    assert not rapl_readable(tmp_path / "absent")
    assert probe_meter(rapl_root=tmp_path / "absent").method == MODEL_METHOD


def test_probe_falls_back_when_energy_is_not_readable(tmp_path: Path) -> None:
    zone = make_zone(tmp_path, "package-0", "intel-rapl:0", 1)
    (zone / "energy_uj").write_text("permission denied would look like garbage here\n")
    assert not rapl_readable(tmp_path)
    assert probe_meter(rapl_root=tmp_path).method == MODEL_METHOD


def test_model_charges_idle_share_plus_cpu_time() -> None:
    now = [100.0]
    cpu = [50.0]
    meter = TdpModelMeter(
        lambda: cpu[0], cores=4, watts_per_core=10.0, idle_fraction=0.25, clock=lambda: now[0]
    )
    now[0] += 10.0  # 10 s wall: idle 0.25 x 4 x 10 W = 10 W -> 100 J
    cpu[0] += 6.0  # 6 CPU-s x (1 - 0.25) x 10 W = 45 J
    assert meter.total_joules() == pytest.approx(145.0)
    assert meter.method == "tdp-model" and meter.uncertainty >= 0.3


def test_frame_energy_reading_carries_labels() -> None:
    now = [0.0]
    meter = TdpModelMeter(
        lambda: now[0] * 2, cores=2, watts_per_core=10.0, idle_fraction=0.0, clock=lambda: now[0]
    )
    frame = FrameEnergy(meter, clock=lambda: now[0])
    frame.start()
    now[0] = 1.8
    reading = frame.stop()
    assert reading.joules == pytest.approx(36.0)  # 3.6 CPU-s x 10 W
    assert reading.seconds == pytest.approx(1.8)
    assert reading.wh == pytest.approx(0.01)
    assert reading.watts == pytest.approx(20.0)
    assert reading.estimate and reading.method == "tdp-model" and reading.coverage
    with pytest.raises(RuntimeError):
        frame.stop()


def test_process_cpu_time_follows_a_busy_child(tmp_path: Path) -> None:
    burn = (
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
        "print('done', flush=True)\ninput()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        cpu = ProcessCpuTime(child.pid)
        meter = meter_for_process(child.pid, rapl_root=tmp_path / "none")
        assert child.stdout.readline().strip() == "done"
        assert cpu() >= 0.25
        assert meter.total_joules() > 0.0
    finally:
        child.communicate("\n", timeout=10)
    assert cpu() >= 0.25  # the process is gone: the last reading stays


def test_local_nodes_split_the_idle_power_by_their_reserved_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {1}, raising=False)  # pinned to one core
    now = [0.0]
    meter = TdpModelMeter(lambda: 0.0, watts_per_core=10.0, idle_fraction=0.5, clock=lambda: now[0])

    now[0] = 10.0

    # The machine idles at 0.5 x 2 cores x 10 W = 10 W; this node's share is half: 5 W x 10 s.
    assert meter.total_joules() == pytest.approx(50.0)


def test_rapl_shared_by_nodes_charges_each_its_share_of_cores_and_says_so(
    sysfs: tuple[Path, Path, Path],
) -> None:
    root, pkg0, pkg1 = sysfs
    shared = probe_meter(rapl_root=root, cores=1, machine_cores=4)
    whole = probe_meter(rapl_root=root, cores=4, machine_cores=4)
    set_energy(pkg0, 3_000_000)  # +2 J
    set_energy(pkg1, 7_000_000)  # +2 J

    assert shared.total_joules() == pytest.approx(1.0) and whole.total_joules() == pytest.approx(4.0)
    assert shared.method == RAPL_SHARED_METHOD and "core-share" in shared.coverage
    assert shared.uncertainty > whole.uncertainty and whole.method == RAPL_METHOD
