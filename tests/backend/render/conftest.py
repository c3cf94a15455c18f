"""Shared helpers for the render tests: a tiny textured scene, an event recorder, a job-spec builder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image

from backend.node.worker_protocol import JobSpec, PreviewSettings, WorkerEvent
from tests.scenes import make_textured_scene

E = TypeVar("E")


@pytest.fixture(scope="session")
def blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_textured_scene(tmp_path_factory.mktemp("scene"), frame_end=4, width=64, height=36, samples=4)


class Recorder:
    """Collects events from the runner's reader thread and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[WorkerEvent] = []
        self._cond = threading.Condition()
        self.hooks: list[Callable[[WorkerEvent], None]] = []

    def __call__(self, event: WorkerEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        for hook in self.hooks:
            hook(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def wait_for(self, pred: Callable[[WorkerEvent], bool], timeout_s: float = 30.0) -> WorkerEvent:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for event in self.events:
                    if pred(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event within {timeout_s} s: {self.events}")
                self._cond.wait(left)


def assert_texture_rendered(png: Path) -> None:
    """The checker's orange and blue squares show; a missing texture would render magenta."""
    with Image.open(png) as img:
        data = img.convert("RGB").tobytes()
    pixels = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
    orange = sum(1 for r, g, b in pixels if r > b + 40 and r > g + 20)
    blue = sum(1 for r, g, b in pixels if b > r + 40)
    magenta = sum(1 for r, g, b in pixels if r > g + 60 and b > g + 60)
    assert orange >= 10 and blue >= 10, (orange, blue)
    assert magenta < 5, magenta


def spec_for(blend: Path, out: Path, frames: tuple[int, ...], **kw: object) -> JobSpec:
    kw.setdefault("samples", 4)
    return JobSpec(
        blend=blend,
        output_dir=out,
        frames=frames,
        engine="CYCLES",
        resolution_x=64,
        resolution_y=36,
        resolution_percentage=100,
        threads=1,
        preview=PreviewSettings(dir=out / "previews", min_interval_s=0.0),
        **kw,  # type: ignore[arg-type]
    )
