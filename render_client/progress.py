"""Transfer progress: a thread-safe counter that hands observers immutable snapshots with rate and ETA."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Observers see at most this many snapshots per second (the final one always goes out).
MIN_REPORT_INTERVAL_S = 0.1
# The rate is measured over this sliding window so a stall shows up quickly.
RATE_WINDOW_S = 3.0


@dataclass(frozen=True)
class TransferSnapshot:
    """Where a transfer stands; `eta_s` is None until a rate is known."""

    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    rate_bps: float
    eta_s: float | None
    elapsed_s: float
    finished: bool = False

    @property
    def fraction(self) -> float:
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        return 1.0 if self.files_done >= self.files_total else 0.0


ProgressCallback = Callable[[TransferSnapshot], None]


class ProgressTracker:
    """Counts bytes and files from many worker threads and reports snapshots to one callback."""

    def __init__(
        self,
        callback: ProgressCallback | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = MIN_REPORT_INTERVAL_S,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._start = clock()
        self._last_report = float("-inf")
        self._samples: list[tuple[float, int]] = [(self._start, 0)]
        self.bytes_done = 0
        self.bytes_total = 0
        self.files_done = 0
        self.files_total = 0

    def set_totals(self, bytes_total: int, files_total: int) -> None:
        with self._lock:
            self.bytes_total = bytes_total
            self.files_total = files_total
        self._report(force=True)

    def add_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes_done += count
        self._report()

    def add_file(self) -> None:
        with self._lock:
            self.files_done += 1
        self._report()

    def finish(self) -> TransferSnapshot:
        return self._report(force=True, finished=True)

    def snapshot(self, finished: bool = False) -> TransferSnapshot:
        with self._lock:
            return self._snapshot_locked(self._clock(), finished)

    def _snapshot_locked(self, now: float, finished: bool) -> TransferSnapshot:
        self._samples.append((now, self.bytes_done))
        while len(self._samples) > 2 and now - self._samples[1][0] > RATE_WINDOW_S:
            self._samples.pop(0)
        first_t, first_b = self._samples[0]
        span = now - first_t
        rate = (self.bytes_done - first_b) / span if span > 0 else 0.0
        remaining = max(0, self.bytes_total - self.bytes_done)
        eta = remaining / rate if rate > 0 else (0.0 if remaining == 0 else None)
        return TransferSnapshot(
            bytes_done=self.bytes_done,
            bytes_total=self.bytes_total,
            files_done=self.files_done,
            files_total=self.files_total,
            rate_bps=rate,
            eta_s=eta,
            elapsed_s=now - self._start,
            finished=finished,
        )

    def _report(self, force: bool = False, finished: bool = False) -> TransferSnapshot:
        with self._lock:
            now = self._clock()
            snap = self._snapshot_locked(now, finished)
            due = force or now - self._last_report >= self._min_interval_s
            if due:
                self._last_report = now
        # The callback runs outside the lock so a slow observer never blocks the workers' counting.
        if due and self._callback is not None:
            self._callback(snap)
        return snap


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def describe(snap: TransferSnapshot) -> str:
    """One line for a terminal: bytes, files, rate, ETA."""
    eta = "--" if snap.eta_s is None else f"{snap.eta_s:.0f}s"
    return (
        f"{human_bytes(snap.bytes_done)}/{human_bytes(snap.bytes_total)} "
        f"({snap.fraction * 100:.0f}%), {snap.files_done}/{snap.files_total} files, "
        f"{human_bytes(snap.rate_bps)}/s, ETA {eta}"
    )
