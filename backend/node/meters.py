"""Energy meters for a heater node (docs/carbon-and-heat.md §2.6): RAPL packages, else a TDP model."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

RAPL_ROOT = Path("/sys/class/powercap")
J_PER_WH = 3600.0
UJ_PER_J = 1_000_000.0

RAPL_METHOD = "rapl"
RAPL_UNCERTAINTY = 0.15  # package-only: misses PSU losses, fans, disks, platform (§2.1, §2.6)
# Several nodes on one package (the local farm): each gets the package energy times its share of cores
# (§2.3's idle split, applied to the whole package because per-node CPU time of the others is unknown).
RAPL_SHARED_METHOD = "rapl-core-share"
RAPL_SHARED_UNCERTAINTY = 0.25  # engineering estimate: adds the error of splitting dynamic power by cores
MODEL_METHOD = "tdp-model"
MODEL_UNCERTAINTY = 0.4  # uncalibrated TDP model, ±30-50 % (§2.6)
# Green Algorithms default TDP per core; CodeCarbon floors idle power at 10 %, §2.6 suggests 10-30 %.
MODEL_WATTS_PER_CORE = 12.0
MODEL_IDLE_FRACTION = 0.2

_TOP_LEVEL_DOMAIN = re.compile(r"^intel-rapl:\d+$")


@dataclass(frozen=True)
class EnergyReading:
    """Energy over an interval, with how it was obtained and how far to trust it."""

    joules: float
    seconds: float
    method: str
    uncertainty: float  # relative, e.g. 0.4 = ±40 %
    coverage: tuple[str, ...]

    @property
    def wh(self) -> float:
        return self.joules / J_PER_WH

    @property
    def watts(self) -> float:
        return self.joules / self.seconds if self.seconds > 0 else 0.0

    @property
    def estimate(self) -> bool:
        return "model" in self.method


class EnergyMeter(Protocol):
    method: str
    uncertainty: float
    coverage: tuple[str, ...]

    def total_joules(self) -> float:
        """Energy since the meter was created; monotonic."""


@dataclass
class _RaplDomain:
    energy_path: Path
    range_uj: int
    last_uj: int


class RaplMeter:
    """Sums the package domains of powercap RAPL; call at least once per counter wrap (tens of minutes).

    `core_share` (the node's cores / the machine's) scales the packages when nodes share a machine,
    and the method label says so.
    """

    def __init__(self, root: Path = RAPL_ROOT, *, core_share: float = 1.0) -> None:
        self._domains = [_open_domain(d) for d in package_domains(root)]
        if not self._domains:
            raise OSError(f"no readable RAPL package domain under {root}")
        self._total_uj = 0
        self._share = min(1.0, max(0.0, core_share))
        shared = self._share < 1.0
        self.method = RAPL_SHARED_METHOD if shared else RAPL_METHOD
        self.uncertainty = RAPL_SHARED_UNCERTAINTY if shared else RAPL_UNCERTAINTY
        self.coverage: tuple[str, ...] = ("cpu-package", "core-share") if shared else ("cpu-package",)

    def total_joules(self) -> float:
        for dom in self._domains:
            now = _read_int(dom.energy_path)
            # The counter wraps at max_energy_range_uj; modulo arithmetic recovers the true delta.
            self._total_uj += (now - dom.last_uj) % dom.range_uj
            dom.last_uj = now
        return self._total_uj / UJ_PER_J * self._share


def _read_int(path: Path) -> int:
    return int(path.read_text(encoding="ascii").strip())


def package_domains(root: Path = RAPL_ROOT) -> list[Path]:
    """Top-level `package-N` zones only: sub-zones (core, uncore, dram) overlap them."""
    if not root.is_dir():
        return []
    found = []
    for zone in sorted(root.iterdir()):
        if not _TOP_LEVEL_DOMAIN.match(zone.name):
            continue
        try:
            name = (zone / "name").read_text(encoding="ascii").strip()
        except OSError:
            continue
        if name.startswith("package"):
            found.append(zone)
    return found


def _open_domain(zone: Path) -> _RaplDomain:
    energy = zone / "energy_uj"
    return _RaplDomain(
        energy_path=energy, range_uj=_read_int(zone / "max_energy_range_uj"), last_uj=_read_int(energy)
    )


def rapl_readable(root: Path = RAPL_ROOT) -> bool:
    """True when every package counter can be read (kernel >= 5.10 makes energy_uj root-only)."""
    domains = package_domains(root)
    try:
        for zone in domains:
            _read_int(zone / "energy_uj")
            _read_int(zone / "max_energy_range_uj")
    except (OSError, ValueError):
        return False
    return bool(domains)


class ProcessCpuTime:
    """CPU seconds (user + system, incl. reaped children) of one live process, from /proc/<pid>/stat."""

    def __init__(self, pid: int, proc_root: Path = Path("/proc")) -> None:
        self._path = proc_root / str(pid) / "stat"
        self._last = 0.0
        self._ticks = os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        try:
            text = self._path.read_text(encoding="ascii")
        except OSError:
            return self._last  # the process is gone: keep its last known total
        # comm (field 2) may contain spaces and parentheses; fields resume after the last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        self._last = (utime + stime + cutime + cstime) / self._ticks
        return self._last


def node_cores() -> int:
    """The cores this node owns: its CPU affinity (a local node is pinned to its share), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def own_and_children_cpu_time() -> float:
    """CPU seconds of this process and its reaped children (portable fallback, no /proc needed)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class TdpModelMeter:
    """Estimated energy: an idle share of the node's power plus CPU time x busy power per core.

    `cores` are the node's reserved cores, so nodes sharing a machine split its idle power by cores
    (§2.3) instead of each charging the whole machine's.
    """

    method = MODEL_METHOD
    uncertainty = MODEL_UNCERTAINTY
    coverage: tuple[str, ...] = ("cpu-model", "idle-share")

    def __init__(
        self,
        cpu_seconds: Callable[[], float] = own_and_children_cpu_time,
        *,
        cores: int | None = None,
        watts_per_core: float = MODEL_WATTS_PER_CORE,
        idle_fraction: float = MODEL_IDLE_FRACTION,
        idle_share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cpu_seconds = cpu_seconds
        self._clock = clock
        self._cores = cores or node_cores()
        # P = P_idle + u (P_max - P_idle), P_max = cores x W/core: CPU time pays only the dynamic part.
        self._idle_w = idle_fraction * self._cores * watts_per_core * idle_share
        self._busy_j_per_cpu_s = (1.0 - idle_fraction) * watts_per_core
        self._cpu0 = cpu_seconds()
        self._t0 = clock()

    def total_joules(self) -> float:
        cpu = max(0.0, self._cpu_seconds() - self._cpu0)
        wall = max(0.0, self._clock() - self._t0)
        return self._idle_w * wall + self._busy_j_per_cpu_s * cpu


def probe_meter(
    *,
    rapl_root: Path = RAPL_ROOT,
    cpu_seconds: Callable[[], float] = own_and_children_cpu_time,
    cores: int | None = None,
    machine_cores: int | None = None,
) -> EnergyMeter:
    """RAPL when its package counters are readable, else the TDP model over `cpu_seconds`.

    `cores` (default: the node's CPU affinity) of `machine_cores` (default: all) are this node's.
    """
    cores = cores or node_cores()
    machine_cores = machine_cores or os.cpu_count() or cores
    if rapl_readable(rapl_root):
        try:
            return RaplMeter(rapl_root, core_share=cores / machine_cores)
        except (OSError, ValueError):
            pass  # the counters vanished between probe and open; the model still works
    return TdpModelMeter(cpu_seconds, cores=cores)


def meter_for_process(pid: int, *, rapl_root: Path = RAPL_ROOT) -> EnergyMeter:
    """The meter for frames rendered by worker `pid`: node RAPL, or the model over that process's CPU time."""
    return probe_meter(rapl_root=rapl_root, cpu_seconds=ProcessCpuTime(pid))


class FrameEnergy:
    """start() / stop() around one frame; stop() returns that frame's EnergyReading."""

    def __init__(self, meter: EnergyMeter, clock: Callable[[], float] = time.monotonic) -> None:
        self._meter = meter
        self._clock = clock
        self._j0: float | None = None
        self._t0 = 0.0

    def start(self) -> None:
        self._j0 = self._meter.total_joules()
        self._t0 = self._clock()

    def stop(self) -> EnergyReading:
        if self._j0 is None:
            raise RuntimeError("FrameEnergy.stop() called before start()")
        joules = self._meter.total_joules() - self._j0
        seconds = self._clock() - self._t0
        self._j0 = None
        return EnergyReading(
            joules=joules,
            seconds=seconds,
            method=self._meter.method,
            uncertainty=self._meter.uncertainty,
            coverage=self._meter.coverage,
        )
