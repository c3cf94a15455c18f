"""At connect the app lists the farm's earlier tasks; one of them resubmits with the same inputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from render_app.widgets.main_window import MainWindow
from render_client.api import FarmClient
from render_client.submit import RenderSettings, task_body
from render_client.transfer import StorageAccess, ensure_bucket, s3_client
from tests.farm_harness import start_farm_process, stop_process
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def farm_with_a_task(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A farm without nodes, holding a task an earlier session submitted (it stays queued)."""
    process, ready = start_farm_process(tmp_path / "farm", nodes=0)
    try:
        token = str(json.loads(Path(ready["credentials"]).read_text())["token"])
        farm = FarmClient(str(ready["url"]), token)
        s3 = s3_client(StorageAccess.from_farm(farm))
        for bucket in ("hearth-old-in", "hearth-old-out"):
            ensure_bucket(s3, bucket)
        s3.put_object(Bucket="hearth-old-in", Key="old.blend", Body=b"BLENDER-v300")
        body = task_body(
            RenderSettings(frames="1-3", samples=2), "old.blend", "hearth-old-in", "hearth-old-out", "old"
        )
        yield str(ready["url"]), token, farm.submit(body).uuid
    finally:
        stop_process(process)


def test_history_lists_earlier_tasks_and_resubmits_them(
    qtbot: Any, window: MainWindow, memory_keyring: MemoryKeyring, farm_with_a_task: tuple[str, str, str]
) -> None:
    url, token, old_uuid = farm_with_a_task
    window.controller.connect_remote(url, token)
    tasks = window.controller.tasks
    qtbot.waitUntil(lambda: tasks.task(old_uuid) is not None, timeout=30_000)
    old = tasks.task(old_uuid)
    assert old is not None and old.frames == [1, 2, 3] and old.result_bucket == "hearth-old-out"
    assert window.task_detail.task is old  # the only task: selected, with its frames

    window.task_detail.resubmit_button.click()
    qtbot.waitUntil(lambda: len(tasks.tasks) == 2, timeout=30_000)
    again = tasks.tasks[0]
    assert again.uuid != old_uuid and again.frames == [1, 2, 3]
    assert again.result_bucket and again.result_bucket != "hearth-old-out"
    body = window.controller.session.farm.task_json(again.uuid)  # type: ignore[union-attr]
    assert [b["bucketName"] for b in body["advancedResourceBuckets"]] == ["hearth-old-in"]
    assert {"key": "BLEND_FILE", "value": "old.blend"} in body["constants"]
