"""The task document's JSON shape, per-account isolation, abort/delete, logs, snapshots, carbon, credits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from backend.scheduler.tables import AttemptOutcome, FrameAttempt
from backend.tasks import logs
from backend.tasks.service import sync_task_state
from backend.tasks.states import InstanceState
from backend.tasks.tables import Task, TaskInstance
from tests.backend.api.conftest import RESULT_BUCKET, SCENE_BUCKET, Api, api_for, submit, task_body
from tests.farm_harness import RunningFarm

QARNOT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
LIST_FIELDS = (
    "advancedResourceBuckets",
    "resourceBuckets",
    "constants",
    "tags",
    "errors",
    "completedInstances",
    "hardwareConstraints",
    "forcedNetworkRules",
)
CARBON_KEYS = {
    "total_consumed_energy_Wh",
    "total_energy_it_Wh",
    "total_reused_energy_Wh",
    "qarnot_carbon_footprint",
    "equivalent_datacenter_name",
    "equivalent_DC_carbon_footprint",
    "saved_carbon_footprint_compute",
    "saved_carbon_footprint_heat",
    "saved_carbon_footprint_compute_heat",
    "saved_carbon_footprint_percent",
    "PUE",
    "ERE",
    "ERF",
    "WUE",
}


def _check_shape(task: dict[str, Any]) -> None:
    for key in ("uuid", "name", "state", "creationDate", "resultsCount", "status"):
        assert task[key] is not None, key
    assert QARNOT_DATE.match(task["creationDate"])
    assert QARNOT_DATE.match(task["lastModified"])
    for key in LIST_FIELDS:
        assert isinstance(task[key], list), key
    assert isinstance(task["resultsCount"], int)
    assert isinstance(task["status"]["executionTimeByCpuModel"], list)
    assert isinstance(task["status"]["executionTimeGhzByCpuModel"], list)
    assert isinstance(task["privileges"], dict)
    assert isinstance(task["retrySettings"], dict)
    assert isinstance(task["labels"], dict)


def test_a_submitted_task_is_readable_at_once_with_every_required_field(api: Api, scene: str) -> None:
    uuid = submit(api, tags=["a", "b"], retrySettings={"maxTotalRetries": 4, "maxPerInstanceRetries": 2})
    task = api.get(f"/tasks/{uuid}").json()
    _check_shape(task)
    assert task["uuid"] == uuid
    assert task["state"] == "Submitted"
    assert task["profile"] == "blender"
    assert task["instanceCount"] == 3
    assert task["resultBucket"] == RESULT_BUCKET
    assert task["resultsCount"] == 0
    assert [b["bucketName"] for b in task["advancedResourceBuckets"]] == [SCENE_BUCKET]
    assert task["resourceBuckets"] == []
    assert task["constants"] == [{"key": "BLEND_FILE", "value": "shots/main.blend"}]
    assert task["tags"] == ["a", "b"]
    assert task["retrySettings"] == {"maxTotalRetries": 4, "maxPerInstanceRetries": 2}
    assert task["errors"] == [] and task["completedInstances"] == []
    assert task["status"]["runningInstancesInfo"]["perRunningInstanceInfo"] == []
    listed = api.get("/tasks").json()
    assert [t["uuid"] for t in listed] == [uuid]
    _check_shape(listed[0])


def test_tasks_are_private_to_their_account(farm: RunningFarm, api: Api, scene: str) -> None:
    uuid = submit(api)
    other = api_for(farm.url, farm.add_account("other@example.org"))
    for method, path in (
        ("GET", f"/tasks/{uuid}"),
        ("DELETE", f"/tasks/{uuid}"),
        ("POST", f"/tasks/{uuid}/abort"),
        ("GET", f"/tasks/{uuid}/stdout"),
        ("POST", f"/tasks/{uuid}/snapshot"),
        ("GET", f"/carbon/v1/tasks/{uuid}/carbon-facts"),
        ("GET", f"/credits/v1/tasks/{uuid}/credits"),
    ):
        response = other.session.request(method, farm.url + path, json={} if method == "POST" else None)
        assert response.status_code == 404, (method, path)
    assert other.get("/tasks").json() == []
    page = other.post(
        "/tasks/summaries/paginate", json={"filter": None, "token": None, "maximumResults": None}
    )
    assert page.json()["data"] == []
    # Another account cannot use this account's buckets either: they look missing.
    stolen = other.post(
        "/tasks",
        json={
            "name": "x",
            "profile": "blender",
            "instanceCount": 1,
            "resultBucket": RESULT_BUCKET,
            "constants": [{"key": "BLEND_FILE", "value": "shots/main.blend"}],
            "advancedResourceBuckets": [{"bucketName": SCENE_BUCKET}],
        },
    )
    assert stolen.status_code == 404
    assert api.get(f"/tasks/{uuid}").status_code == 200


def test_abort_then_abort_again_then_delete(api: Api, scene: str) -> None:
    uuid = submit(api)
    assert api.post(f"/tasks/{uuid}/abort").status_code == 204
    task = api.get(f"/tasks/{uuid}").json()
    assert task["state"] == "Cancelled"
    assert task["previousState"] == "Submitted"
    assert QARNOT_DATE.match(task["endDate"])
    again = api.post(f"/tasks/{uuid}/abort")
    assert again.status_code == 403
    assert "already finished" in again.json()["message"]
    assert api.delete(f"/tasks/{uuid}").status_code == 204
    gone = api.get(f"/tasks/{uuid}")
    assert gone.status_code == 404
    assert uuid in gone.json()["message"]
    assert api.delete(f"/tasks/{uuid}").status_code == 404


def test_deleting_a_running_task_aborts_it(api: Api, scene: str) -> None:
    uuid = submit(api)
    assert api.delete(f"/tasks/{uuid}").status_code == 204
    assert api.get(f"/tasks/{uuid}").status_code == 404


def _write_output(farm: RunningFarm, uuid: str, instance_id: int, stream: logs.Stream, text: str) -> None:
    assert farm.server is not None
    with farm.server.ctx.db.transaction() as session:
        instance = session.scalar(
            select(TaskInstance).join(Task).where(Task.uuid == uuid, TaskInstance.instance_id == instance_id)
        )
        assert instance is not None
        logs.append(instance, stream, text)


def test_logs_whole_and_fresh_per_task_and_per_instance(farm: RunningFarm, api: Api, scene: str) -> None:
    uuid = submit(api, advancedRanges="1-3")
    assert api.get(f"/tasks/{uuid}/stdout").text == ""
    _write_output(farm, uuid, 1, logs.Stream.STDOUT, "frame 1 start\n")
    _write_output(farm, uuid, 2, logs.Stream.STDOUT, "frame 2 start\n")
    _write_output(farm, uuid, 2, logs.Stream.STDERR, "warning\n")

    whole = api.get(f"/tasks/{uuid}/stdout")
    assert whole.headers["content-type"].startswith("text/plain")
    assert whole.text == "1> frame 1 start\n2> frame 2 start\n"
    assert api.post(f"/tasks/{uuid}/stdout").text == "1> frame 1 start\n2> frame 2 start\n"
    assert api.post(f"/tasks/{uuid}/stdout").text == ""
    _write_output(farm, uuid, 1, logs.Stream.STDOUT, "frame 1 done\n")
    assert api.post(f"/tasks/{uuid}/stdout").text == "1> frame 1 done\n"
    assert api.get(f"/tasks/{uuid}/stdout").text.count("\n") == 3

    assert api.get(f"/tasks/{uuid}/stderr").text == "2> warning\n"
    assert api.get(f"/tasks/{uuid}/stdout/1").text == "frame 1 start\nframe 1 done\n"
    # The per-instance cursor is independent of the task-wide one.
    assert api.post(f"/tasks/{uuid}/stdout/1").text == "frame 1 start\nframe 1 done\n"
    assert api.post(f"/tasks/{uuid}/stdout/1").text == ""
    assert api.get(f"/tasks/{uuid}/stdout/3").text == ""
    huge = "9" * 23
    for missing in ("99", "abc", "-1", huge, str(2**63), "1" * 5000, "\u00b2"):
        for method, stream in (("GET", "stdout"), ("POST", "stdout"), ("GET", "stderr"), ("POST", "stderr")):
            response = api.session.request(method, f"{api.url}/tasks/{uuid}/{stream}/{missing}")
            assert response.status_code == 404, (missing[:30], method, stream, response.text[:200])
            assert "instance" in response.json()["message"]
    assert api.get(f"/tasks/{uuid}/stdlog").status_code in (400, 404)


def test_snapshots(api: Api, scene: str) -> None:
    uuid = submit(api)
    body = {"whitelist": None, "blacklist": None, "bucket": None, "bucketPrefix": None}
    created = api.post(f"/tasks/{uuid}/snapshot", json=body)
    assert created.status_code == 200
    snapshot_id = created.json()["id"]
    status = api.get(f"/tasks/{uuid}/snapshot/{snapshot_id}").json()
    assert status["id"] == snapshot_id
    assert status["taskUuid"] == uuid
    assert status["status"] in ("Triggered", "InProgress", "Success")
    assert QARNOT_DATE.match(status["triggerDate"])
    assert status["snapshotConfig"] == body
    assert api.get(f"/tasks/{uuid}/snapshot/nope").status_code == 404

    periodic = {**body, "interval": 60}
    assert api.post(f"/tasks/{uuid}/snapshot/periodic", json=periodic).status_code == 204
    assert api.get(f"/tasks/{uuid}").json()["snapshotInterval"] == 60
    for bad in (0, -5, 10**9):
        response = api.post(f"/tasks/{uuid}/snapshot/periodic", json={**body, "interval": bad})
        assert response.status_code == 400
        assert "interval" in response.json()["message"]
    assert api.post(f"/tasks/{uuid}/snapshot/periodic", json={**body, "interval": "often"}).status_code == 400
    bad_bucket = api.post(f"/tasks/{uuid}/snapshot", json={**body, "bucket": "../x"})
    assert bad_bucket.status_code == 400
    for prefix, fragment in (
        ("../../x", "'..'"),
        ("a/../b/", "'..'"),
        ("a\x00b", "NUL"),
        ("k" * 1100, "1024"),
    ):
        for path, extra in (
            (f"/tasks/{uuid}/snapshot", {}),
            (f"/tasks/{uuid}/snapshot/periodic", {"interval": 60}),
        ):
            bad_prefix = api.post(path, json={**body, **extra, "bucketPrefix": prefix})
            assert bad_prefix.status_code == 400, (path, prefix[:20], bad_prefix.text[:200])
            assert "bucketPrefix" in bad_prefix.json()["message"] and fragment in bad_prefix.json()["message"]
    assert (
        api.post(f"/tasks/{uuid}/snapshot", json={**body, "bucketPrefix": "snaps/a..b/"}).status_code == 200
    )


def test_carbon_facts_have_the_14_keys_and_credits(api: Api, scene: str) -> None:
    uuid = submit(api)
    facts = api.get(f"/carbon/v1/tasks/{uuid}/carbon-facts").json()
    assert set(facts) >= CARBON_KEYS
    for key in CARBON_KEYS:
        if key == "equivalent_datacenter_name":
            assert facts[key] == "european_dc"
        else:
            assert isinstance(facts[key], int | float) and facts[key] == 0, key
    assert facts["same_grid_comparison"]["equivalent_datacenter_name"] == "european_dc-same-grid"
    assert {"heat_reused_Wh", "room_hours_heated", "measurement_method", "measurement_uncertainty"} <= set(
        facts
    )
    compared = api.get(f"/carbon/v1/tasks/{uuid}/carbon-facts", params={"comparisonDatacenter": "german_dc"})
    assert compared.json()["equivalent_datacenter_name"] == "german_dc"
    unknown = api.get(f"/carbon/v1/tasks/{uuid}/carbon-facts", params={"comparisonDatacenter": "dc-paris"})
    assert unknown.status_code == 400 and "german_dc" in unknown.json()["message"]
    assert api.get("/carbon/v1/tasks/00000000-0000-0000-0000-000000000000/carbon-facts").status_code == 404
    assert api.get(f"/credits/v1/tasks/{uuid}/credits").json() == {"credits": 0.0}
    assert api.get("/credits/v1/accounts/credits").json() == {"credits": 0.0}


def test_commit_and_update_resources(api: Api, scene: str) -> None:
    uuid = submit(api, tags=["before"])
    updated = task_body(name="renamed", tags=["after"], labels={"k": "v"})
    assert api.put(f"/tasks/{uuid}", json=updated).status_code == 204
    task = api.get(f"/tasks/{uuid}").json()
    assert (task["name"], task["tags"], task["labels"]) == ("renamed", ["after"], {"k": "v"})
    changed = api.put(f"/tasks/{uuid}", json=task_body(advancedRanges="1-9"))
    assert changed.status_code == 400
    assert "advancedRanges" in changed.json()["message"]
    bad = api.put(f"/tasks/{uuid}", json=task_body(constants=[{"key": "BLEND_ENGINE", "value": "X"}]))
    assert bad.status_code == 400
    assert api.patch(f"/tasks/{uuid}").status_code == 204
    assert api.patch("/tasks/00000000-0000-0000-0000-000000000000").status_code == 404


def _set_instances(farm: RunningFarm, uuid: str, states: dict[int, InstanceState]) -> str:
    """Plays the scheduler's part: moves instances and re-derives the task state."""
    assert farm.server is not None
    with farm.server.ctx.db.transaction() as session:
        task = session.scalar(select(Task).where(Task.uuid == uuid))
        assert task is not None
        for instance in task.instances:
            if instance.instance_id in states:
                instance.state = states[instance.instance_id].value
                instance.attempt_count = 1
                if states[instance.instance_id] is InstanceState.DONE:
                    instance.results = [f"frame_{instance.instance_id:04d}.png"]
                    # What a node's report leaves behind: frame 1 heated a room that wanted heat, frame 3 not.
                    session.add(
                        FrameAttempt(
                            instance_pk=instance.id,
                            task_id=task.id,
                            node_name="n1",
                            attempt=1,
                            outcome=AttemptOutcome.DONE,
                            heat_wanted=instance.instance_id == 1,
                            energy_it_wh=2.0,
                            energy_method="tdp-model",
                            energy_uncertainty=0.4,
                        )
                    )
        return sync_task_state(session, task).value


def test_document_follows_instance_progress(farm: RunningFarm, api: Api, scene: str) -> None:
    uuid = submit(api, advancedRanges="1-3")
    assert _set_instances(farm, uuid, {1: InstanceState.RUNNING}) == "PartiallyExecuting"
    task = api.get(f"/tasks/{uuid}").json()
    assert task["state"] == "PartiallyExecuting"
    assert task["runningInstanceCount"] == 1
    running = task["status"]["runningInstancesInfo"]["perRunningInstanceInfo"]
    assert [r["instanceId"] for r in running] == [1]

    assert (
        _set_instances(farm, uuid, {1: InstanceState.DONE, 2: InstanceState.FAILED}) == "PartiallyExecuting"
    )
    assert _set_instances(farm, uuid, {3: InstanceState.DONE}) == "Failure"
    task = api.get(f"/tasks/{uuid}").json()
    _check_shape(task)
    assert task["state"] == "Failure"
    assert task["status"]["succeededRange"] == "1,3"
    assert task["status"]["failedRange"] == "2"
    assert task["status"]["executedRange"] == "1-3"
    completed = {c["instanceId"]: c for c in task["completedInstances"]}
    assert completed[1]["state"] == "Success" and completed[1]["results"] == ["frame_0001.png"]
    assert completed[2]["state"] == "Failure"
    assert {"execTimeSecGHz", "peakMemoryMB", "averageGHz", "wallTimeSec"} <= set(completed[1])
    facts = api.get(f"/carbon/v1/tasks/{uuid}/carbon-facts").json()
    assert facts["total_energy_it_Wh"] == pytest.approx(4.0)
    # Half the energy went to a room that wanted heat: only that half counts as reused.
    assert facts["total_reused_energy_Wh"] == pytest.approx(facts["total_consumed_energy_Wh"] / 2)
    assert facts["ERF"] == pytest.approx(0.5)
    assert facts["measurement_method"] == "tdp-model"
    # A final state is kept even if a node reports late.
    assert _set_instances(farm, uuid, {2: InstanceState.RUNNING}) == "Failure"


def test_submit_and_abort_are_announced_as_task_state_events(farm: RunningFarm, api: Api, scene: str) -> None:
    assert farm.server is not None
    bus = farm.server.ctx.events
    principal = farm.server.ctx.accounts.authenticate(farm.token)
    assert principal is not None
    start = bus.latest_id()
    uuid = submit(api)
    assert api.post(f"/tasks/{uuid}/abort").status_code == 204
    states = [
        (e.data["state"], e.data["framesTotal"])
        for e in bus.since(principal.account_id, start)
        if e.kind == "task-state" and e.task_uuid == uuid
    ]
    assert states == [("Submitted", 3), ("Cancelled", 3)]
