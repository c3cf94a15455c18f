"""Submit syncs in the sync process first, then only creates the task; missing files have an app override."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from render_app import controller as controller_module
from render_app.scenes import Scene
from render_app.widgets.main_window import MainWindow
from render_client.models import Task
from render_client.packing_report import PackReport
from render_client.submit import RenderSettings
from tests.client.scene_factory import make_scene


class FakeFarm:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def submit(self, body: dict[str, Any]) -> Task:
        self.bodies.append(body)
        return Task.from_json({"uuid": f"t-{len(self.bodies)}", "name": body["name"], "state": "Submitted"})


def fake_session(farm: FakeFarm) -> Any:
    access = SimpleNamespace(url="http://127.0.0.1:1", access_key="a", secret_key="s", verify=True)
    return SimpleNamespace(farm=farm, s3=object(), access=access, url="http://127.0.0.1:1", local=True)


@pytest.fixture
def scene_key(window: MainWindow, tmp_path: Path) -> str:
    folder = tmp_path / "shot"
    folder.mkdir()
    (folder / "shot.blend").write_bytes(b"BLENDER")
    scenes = window.controller.scenes
    key = str(folder.absolute())
    scenes.scenes[key] = Scene(folder.absolute(), PackReport(folder, folder, "shot.blend"))
    return key


def test_submit_syncs_out_of_process_then_creates_the_task(
    qtbot: Any, window: MainWindow, scene_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = window.controller
    farm = FakeFarm()
    c.session = fake_session(farm)
    order: list[str] = []
    pending: list[Any] = []
    monkeypatch.setattr(
        controller_module, "ensure_bucket", lambda _s3, bucket: order.append(f"bucket {bucket}")
    )
    monkeypatch.setattr(
        "render_client.packing.build_package", lambda *a, **k: pytest.fail("packed in the app")
    )

    def fake_sync(key: str, then: Any = None, failed: Any = None) -> None:
        order.append("sync")
        pending.append(then)

    monkeypatch.setattr(c.scenes, "sync", fake_sync)
    c.submit(scene_key, RenderSettings(frames="1-4", samples=4))
    assert order == ["sync"] and farm.bodies == []  # nothing is created before the sync ends
    errors: list[str] = []
    c.error.connect(errors.append)
    pending.pop()()
    qtbot.waitUntil(lambda: len(c.tasks.tasks) == 1 or bool(errors), timeout=10_000)
    assert not errors
    assert order[0] == "sync" and order[1].startswith("bucket ")
    bucket = order[1].removeprefix("bucket ")
    assert c.tasks.tasks[0].result_bucket == bucket == farm.bodies[0]["resultBucket"]
    body = farm.bodies[0]
    assert body["advancedRanges"] == "1-4"
    assert {"key": "BLEND_FILE", "value": "shot.blend"} in body["constants"]


def test_a_second_sync_request_waits_for_the_running_one(window: MainWindow, scene_key: str) -> None:
    scenes = window.controller.scenes
    scene = scenes.scenes[scene_key]
    scene.sync_state = "Syncing"
    called: list[str] = []
    scenes.sync(scene_key, then=lambda: called.append("then"))
    assert scenes._syncs == {}  # no second process
    scenes._settle(scene_key, True, "")
    assert called == ["then"]


def test_resync_during_a_sync_waits_instead_of_tracing(window: MainWindow, scene_key: str) -> None:
    scenes = window.controller.scenes
    scene = scenes.scenes[scene_key]
    scene.watch, scene.sync_state = True, "Syncing"
    scenes._resync(scene_key)
    assert scene.sync_state == "Syncing" and scene.changed_while_syncing
    assert scenes._syncs == {}


def test_missing_files_offer_the_app_override(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    scene = make_scene(tmp_path, missing=True)
    window.pages.setCurrentIndex(1)
    window.open_paths([scene.folder])
    panel = window.scene_panel
    qtbot.waitUntil(lambda: "missing" in panel.report.toPlainText().lower(), timeout=30_000)
    text = panel.report.toPlainText()
    assert "--allow-missing" not in text and "Render without missing files" in text
    assert not panel.submit_button.isEnabled() and panel.allow_missing_box.isVisible()
    panel.allow_missing_box.click()
    assert panel.submit_button.isEnabled()
    assert window.controller.scenes.scenes[panel.key()].allow_missing
