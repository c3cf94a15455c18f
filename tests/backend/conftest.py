"""Fixtures for backend tests: a real farm server on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.farm_harness import RunningFarm, farm_in_thread


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path / "farm") as running:
        yield running
