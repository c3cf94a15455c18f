"""Acceptance: the public, unmodified qarnot SDK 2.23.0 runs its core flows against a real farm."""

from __future__ import annotations

from pathlib import Path

import pytest
import qarnot
from qarnot.exceptions import MissingTaskException, MissingTaskInstanceException, UnauthorizedException

from tests.farm_harness import RunningFarm

# CarbonFacts attribute names (the SDK renames the wire keys of qarnot-api.md 5.6).
NUMERIC_CARBON_ATTRIBUTES = (
    "energy_consumption_Wh",
    "energy_it_Wh",
    "energy_reuse_Wh",
    "carbon_footprint_gC02eq",
    "equivalent_dc_carbon_footprint_gC02eq",
    "saved_carbon_footprint_compute_gC02eq",
    "saved_carbon_footprint_heat_gC02eq",
    "saved_carbon_footprint_compute_heat_gC02eq",
    "saved_carbon_footprint_percent",
    "PUE",
    "ERE",
    "ERF",
    "WUE",
)


def _scene_dir(root: Path) -> Path:
    scene = root / "scene"
    (scene / "dir").mkdir(parents=True)
    (scene / "textures" / "wood").mkdir(parents=True)
    (scene / "dir" / "x y+z.txt").write_text("a key with a space and a plus")
    (scene / "shots").mkdir()
    (scene / "shots" / "main.blend").write_bytes(b"BLENDER-v400" + bytes(1000))
    (scene / "textures" / "wood" / "oak.png").write_bytes(b"\x89PNG" + bytes(64))
    return scene


def _connect(farm: RunningFarm) -> qarnot.connection.Connection:
    # The trailing slash makes the SDK request `//settings`: the farm must collapse it.
    return qarnot.connection.Connection(client_token=farm.token, cluster_url=farm.url + "/")


def test_sdk_core_flow(farm: RunningFarm, tmp_path: Path) -> None:
    conn = _connect(farm)
    assert conn.user_info.email == farm.email
    assert "blender" in conn.profiles_names()
    blender_constants = {name for name, _default in conn.retrieve_profile("blender").constants}
    assert {"BLEND_FILE", "BLEND_ENGINE", "HEARTH_POLICY"} <= blender_constants

    resources = conn.create_bucket("sdk-flow-resources")
    resources.sync_directory(str(_scene_dir(tmp_path)))
    listed = {f.key for f in resources.list_files()}
    assert {"dir/x y+z.txt", "shots/main.blend", "textures/wood/oak.png"} <= listed
    results = conn.create_bucket("sdk-flow-results")

    task = conn.create_task("sdk-flow", "blender", "1-3")
    task.constants["BLEND_FILE"] = "shots/main.blend"
    task.constants["BLEND_ENGINE"] = "CYCLES"
    task.tags = ["sdk", "flow"]
    task.resources = [resources]
    task.results = results
    task.submit()
    assert task.uuid
    assert task.state == "Submitted"

    again = conn.retrieve_task(task.uuid)
    assert again.name == "sdk-flow"
    assert again.advanced_range == "1-3"
    assert again.instancecount == 3
    assert again.constants["BLEND_FILE"] == "shots/main.blend"
    assert again.results.uuid == "sdk-flow-results"
    assert [b.uuid for b in again.resources] == ["sdk-flow-resources"]
    assert again.status.execution_time_by_cpu_model == []
    assert again.errors == []
    assert again.completed_instances == []

    assert task.uuid in {t.uuid for t in conn.all_tasks()}
    assert [t.uuid for t in conn.all_tasks(tags=["flow"])] == [task.uuid]
    assert list(conn.all_tasks(tags_intersect=["sdk", "missing"])) == []

    assert task.stdout() == ""
    assert task.fresh_stdout() == ""
    assert task.stderr() == ""
    assert task.stdout(instanceId=2) == ""
    with pytest.raises(MissingTaskInstanceException):
        task.stdout(instanceId=99)

    task.tags = ["sdk", "flow", "renamed"]
    task.commit()
    task.update_resources()
    assert [t.uuid for t in conn.all_tasks(tags=["renamed"])] == [task.uuid]

    snapshot_id = task.instant()
    assert snapshot_id
    # Nothing runs yet (no nodes), so the snapshot completes at once and wait_snapshot never sleeps.
    assert task.wait_snapshot(snapshot_id, timeout=5)

    facts = task.carbon_facts()
    for key in NUMERIC_CARBON_ATTRIBUTES:
        assert isinstance(getattr(facts, key), int | float), key
    assert isinstance(facts.equivalent_datacenter_name, str)

    task.abort()
    assert task.state == "Cancelled"
    with pytest.raises(UnauthorizedException):
        task.abort()  # already final: 403

    task.delete()
    with pytest.raises(MissingTaskException):
        conn.retrieve_task(task.uuid)

    results.delete()
    resources.delete()
    assert {b.uuid for b in conn.buckets()} == set()


def test_sdk_pagination_and_bulk_submit(farm: RunningFarm) -> None:
    conn = _connect(farm)
    tasks = []
    for n in range(7):
        task = conn.create_task(f"bulk-{n}", "blender", 2)
        task.constants["BLEND_ENGINE"] = "BLENDER_EEVEE_NEXT"
        task.constants["BLEND_FILE"] = ""  # checked below: required constants are enforced
        tasks.append(task)
    with pytest.raises(qarnot.exceptions.QarnotGenericException, match="BLEND_FILE is required"):
        conn.submit_tasks(tasks[:1])

    bucket = conn.create_bucket("sdk-bulk-res")
    bucket.add_string("blend bytes", "scene.blend")
    for n, task in enumerate(tasks):
        task.constants["BLEND_FILE"] = "scene.blend"
        task.resources = [bucket]
        task.tags = ["even" if n % 2 == 0 else "odd", "bulk"]
    conn.submit_tasks(tasks)
    assert all(t.uuid for t in tasks)

    seen: list[str] = []
    page = conn.tasks_page(maximum=3)
    pages = 1
    seen += [t.uuid for t in page.page_data]
    while page.is_truncated:
        page = conn.tasks_page(token=page.next_token, maximum=3)
        seen += [t.uuid for t in page.page_data]
        pages += 1
    assert pages == 3
    assert seen == [t.uuid for t in tasks]
    assert [t.uuid for t in conn.all_tasks(tags=["odd"])] == [t.uuid for t in tasks[1::2]]
    assert len(list(conn.all_tasks(tags_intersect=["even", "bulk"]))) == 4


def test_sdk_pools_and_jobs(farm: RunningFarm) -> None:
    conn = _connect(farm)
    pool = conn.create_pool("sdk-pool", "blender", 2)
    pool.submit()
    assert conn.retrieve_pool(pool.uuid).name == "sdk-pool"
    job = conn.create_job("sdk-job", pool)
    job.submit()
    assert conn.retrieve_job(job.uuid).state == "Active"
    assert job.tasks == []
    job.terminate()
    job.delete()
    pool.close()
    pool.delete()


def test_sdk_rejects_bad_token(farm: RunningFarm) -> None:
    with pytest.raises(UnauthorizedException):
        qarnot.connection.Connection(client_token="hth_0000_bad", cluster_url=farm.url)
