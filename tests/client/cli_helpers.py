"""What the `hearth` CLI tests share: a saved .blend, a scene folder, running the CLI, a follower thread."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from render_client import cli_follow
from render_client.cli import main
from render_client.events import EventStream
from tests.farm_harness import RunningFarm

BPY_TIMEOUT_S = 120
CONNECT_TIMEOUT_S = 30.0


def make_blend(path: Path) -> Path:
    """A saved .blend with a cube and a camera (bpy in a subprocess)."""
    script = (
        "import bpy, sys; bpy.ops.wm.read_factory_settings(use_empty=True); "
        "bpy.ops.mesh.primitive_cube_add(); bpy.ops.object.camera_add(location=(0, -6, 2), "
        "rotation=(1.3, 0, 0)); bpy.context.scene.camera = bpy.context.active_object; "
        "bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(path)], check=True, capture_output=True, timeout=BPY_TIMEOUT_S
    )
    return path


def scene_folder(blend: Path, root: Path) -> Path:
    folder = root / "My Scene"
    (folder / "tex").mkdir(parents=True)
    (folder / "scene.blend").write_bytes(blend.read_bytes())
    (folder / "tex" / "wood.png").write_bytes(b"\x89PNG fake texture" * 100)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def auth(farm: RunningFarm) -> list[str]:
    return ["--server", farm.url, "--token", farm.token]


class FollowerThread:
    """Runs `hearth ARGV` on a thread and records the event streams cli_follow opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
        self.streams: list[EventStream] = []
        self.result: list[int] = []
        streams = self.streams

        class RecordedStream(EventStream):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                streams.append(self)

        monkeypatch.setattr(cli_follow, "EventStream", RecordedStream)
        self.thread = threading.Thread(target=lambda: self.result.append(main(argv)))
        self.thread.start()

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = CONNECT_TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout_s
        while not condition() and time.monotonic() < deadline and self.thread.is_alive():
            self.thread.join(0.05)
        return condition()

    def wait_connected(self) -> bool:
        return self.wait_until(lambda: bool(self.streams) and self.streams[0].connected.is_set())

    def join(self) -> int | None:
        self.thread.join(60)
        return self.result[0] if self.result else None
