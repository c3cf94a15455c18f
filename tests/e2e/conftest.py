"""Shared end-to-end fixtures: a local farm of two heater nodes, and a small textured scene."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.farm_client import Farm
from tests.farm_harness import start_farm_process, stop_process
from tests.scenes import make_textured_scene

# Short, so a killed node's frame moves on within seconds; the nodes heartbeat four times as often.
HEARTBEAT_TIMEOUT = ("--heartbeat-timeout", "3")


@pytest.fixture
def local_farm(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Farm]]:
    process, ready = start_farm_process(tmp_path / "farm", *HEARTBEAT_TIMEOUT, nodes=2)
    try:
        yield process, Farm.from_ready(ready)
    finally:
        stop_process(process)


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    make_textured_scene(tmp_path / "scene", frame_start=1, frame_end=4)
    return tmp_path / "scene"
