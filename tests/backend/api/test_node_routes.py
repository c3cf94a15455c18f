"""The node protocol over HTTP, and what users see of it: fleet, previews, live events, abort."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from backend.carbon.constants import SiteParams
from backend.carbon.formulas import EnergySlice, carbon_facts
from backend.node.__main__ import node_config, node_heat, parse_args
from backend.node.agent import NodeAgent
from backend.node.client import NodeClient
from backend.node.room import Room, Thermostat
from render_client.events import EventStream, FarmEvent
from tests.backend.api.conftest import RESULT_BUCKET, Api, api_for, s3_for, submit
from tests.farm_harness import RunningFarm

COLD_ROOM = {"room_c": 17.0, "setpoint_c": 19.0, "wants_heat": True, "predicted_overshoot_k": 0.0}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 80, 20)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def node(farm: RunningFarm) -> Api:
    assert farm.server is not None
    return api_for(farm.url + "/nodes/v1", farm.server.ctx.fleet.add("n1"))


def claim(node: Api, wait_s: float = 5.0) -> dict[str, Any]:
    response = node.post("/claim", json={"room": COLD_ROOM, "wait_s": wait_s})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def collect_events(farm: RunningFarm, until: threading.Event, sink: list[FarmEvent]) -> EventStream:
    stream = EventStream(farm.url, farm.token, last_event_id=0)

    def on_event(event: FarmEvent) -> None:
        sink.append(event)
        if event.kind == "task-state" and event.data["state"] in ("Success", "Cancelled"):
            until.set()

    stream.start(on_event)
    return stream


@pytest.mark.usefixtures("scene")
def test_a_frame_goes_from_claim_to_result_with_progress_preview_and_events(
    farm: RunningFarm, api: Api, node: Api
) -> None:
    uuid = submit(api, advancedRanges="5")
    finished, events = threading.Event(), []
    stream = collect_events(farm, finished, events)
    try:
        work = claim(node)
        assert (work["task_uuid"], work["frame"]) == (uuid, 5)
        assert work["constants"]["BLEND_FILE"] == "shots/main.blend"
        inputs = {i["path"]: i for i in work["inputs"]}
        scene = node.get(f"/attempts/{work['attempt_id']}/objects/api-scene/shots/main.blend")
        assert scene.content == b"BLENDER-v400" and inputs["shots/main.blend"]["size"] == 12
        attempt = work["attempt_id"]
        assert node.post(f"/attempts/{attempt}/started").json() == {"ok": True}
        assert node.post(
            f"/attempts/{attempt}/progress", json={"done": 8, "total": 16, "percent": 50}
        ).json()["ok"]
        assert node.put(f"/attempts/{attempt}/previews/progressive", data=jpeg()).json()["ok"]
        request = {"whitelist": None, "blacklist": None, "bucket": None, "bucketPrefix": None}
        snapshot = api.post(f"/tasks/{uuid}/snapshot", json=request)
        assert snapshot.status_code == 200 and snapshot.json()["id"]
        s3 = s3_for(farm, farm.email, farm.token)
        snap = s3.get_object(Bucket=RESULT_BUCKET, Key="previews/frame_0005.jpg")["Body"].read()
        assert snap.startswith(b"\xff\xd8")
        put = node.put(f"/attempts/{attempt}/outputs/frame_0005.png", data=b"png bytes")
        assert put.status_code == 200, put.text
        report = {"outputs": ["frame_0005.png"], "render_time_s": 1.5, "energy_it_wh": 0.01,
                  "energy_method": "tdp-model", "energy_uncertainty": 0.4}  # fmt: skip
        assert node.post(f"/attempts/{attempt}/complete", json=report).json() == {"ok": True}
        assert finished.wait(20)
    finally:
        stream.close()

    task = api.get(f"/tasks/{uuid}").json()
    assert (task["state"], task["resultsCount"]) == ("Success", 1)
    assert s3.get_object(Bucket=RESULT_BUCKET, Key="frame_0005.png")["Body"].read() == b"png bytes"
    kinds = [e.kind for e in events if e.task == uuid]
    assert kinds.index("frame-progress") < kinds.index("preview-ready") < kinds.index("frame-done")
    assert api.get(f"/tasks/{uuid}/previews").json()[0]["frame"] == 5
    assert api.get(f"/tasks/{uuid}/previews/5").content.startswith(b"\xff\xd8")


@pytest.mark.usefixtures("scene")
def test_completing_without_uploading_is_refused_and_other_accounts_see_no_previews(
    farm: RunningFarm, api: Api, node: Api
) -> None:
    uuid = submit(api, advancedRanges="1")
    attempt = claim(node)["attempt_id"]
    node.put(f"/attempts/{attempt}/previews/final", data=jpeg())
    report = {"outputs": ["frame_0001.png"], "render_time_s": 1, "energy_it_wh": 0, "energy_method": "m",
              "energy_uncertainty": 0}  # fmt: skip

    refused = node.post(f"/attempts/{attempt}/complete", json=report)
    stranger = api_for(farm.url, farm.add_account("other@studio.example"))

    assert refused.status_code == 400 and "never uploaded" in refused.json()["message"]
    assert stranger.get(f"/tasks/{uuid}/previews/1").status_code == 404
    assert node.put(f"/attempts/{attempt}/previews/final", data=b"not a jpeg").status_code == 400
    assert node.put(f"/attempts/{attempt}/outputs/../escape", data=b"x").status_code in (400, 404)


@pytest.mark.usefixtures("scene")
def test_abort_reaches_the_node_watching_its_frame_at_once(api: Api, node: Api) -> None:
    uuid = submit(api, advancedRanges="1")
    attempt = claim(node)["attempt_id"]
    node.post(f"/attempts/{attempt}/started")
    answer: list[dict[str, Any]] = []
    watcher = threading.Thread(
        target=lambda: answer.append(node.get(f"/attempts/{attempt}/watch", params={"wait_s": 20}).json())
    )
    watcher.start()

    assert api.post(f"/tasks/{uuid}/abort").status_code == 204
    watcher.join(5)

    assert answer == [{"cancel": True}]
    assert node.post(f"/attempts/{attempt}/progress", json={"percent": 10}).json() == {"ok": False}


def test_the_fleet_view_lists_nodes_without_their_tasks(farm: RunningFarm, api: Api, node: Api) -> None:
    telemetry = {"state": "rendering", "power_w": 48.0, "room": COLD_ROOM, "task": "secret", "frame": 3}
    assert node.post("/heartbeat", json=telemetry).status_code == 200

    fleet = api.get("/nodes").json()

    assert [n["name"] for n in fleet] == ["n1"]
    assert fleet[0]["online"] and fleet[0]["state"] == "rendering"
    assert fleet[0]["telemetry"]["frame"] == 3 and "task" not in fleet[0]["telemetry"]
    assert requests.get(farm.url + "/nodes", timeout=10).status_code == 401
    assert (
        requests.post(farm.url + "/nodes/v1/claim", json={"room": COLD_ROOM}, timeout=10).status_code == 401
    )


@pytest.mark.usefixtures("scene")
def test_a_claim_long_polls_until_work_arrives(api: Api, node: Api) -> None:
    got: list[dict[str, Any]] = []
    poller = threading.Thread(target=lambda: got.append(claim(node, wait_s=20)))
    poller.start()
    uuid = submit(api, advancedRanges="9")
    poller.join(10)

    assert got and got[0]["task_uuid"] == uuid
    assert (
        node.post("/claim", json={"room": COLD_ROOM, "wait_s": 0}).json()["attempt_id"]
        == got[0]["attempt_id"]
    )


@pytest.mark.usefixtures("scene")
def test_the_site_given_to_hearth_node_reaches_the_task_carbon_facts(
    farm: RunningFarm, api: Api, tmp_path: Path
) -> None:
    assert farm.server is not None
    token = farm.server.ctx.fleet.add("sited")
    site = ["grid_ci_g_per_kwh=500", "pue=1.2", "displaced_heat_ef_g_per_kwh=250"]
    args = parse_args(["--server", farm.url, "--name", "sited", "--work-dir", str(tmp_path)]
                      + [arg for pair in site for arg in ("--site", pair)])  # fmt: skip
    client = NodeClient(farm.url, token)
    room = Room(t_air_c=17.0, thermostat=Thermostat(setpoint_c=19.0))
    NodeAgent(node_config(args), client, node_heat(room, threads=1)).send_heartbeat()
    client.close()
    node = api_for(farm.url + "/nodes/v1", token)
    uuid = submit(api, advancedRanges="1")
    attempt = claim(node)["attempt_id"]
    assert node.put(f"/attempts/{attempt}/outputs/frame_0001.png", data=b"png").status_code == 200
    report = {"outputs": ["frame_0001.png"], "render_time_s": 2, "energy_it_wh": 10.0,
              "energy_method": "tdp-model", "energy_uncertainty": 0.4}  # fmt: skip
    assert node.post(f"/attempts/{attempt}/complete", json=report).json() == {"ok": True}

    facts = api.get(f"/carbon/v1/tasks/{uuid}/carbon-facts").json()

    sited = SiteParams(grid_ci_g_per_kwh=500.0, pue=1.2, displaced_heat_ef_g_per_kwh=250.0)
    expected = carbon_facts([EnergySlice(10.0, sited, 1.0)]).to_qarnot_dict()
    for key in ("qarnot_carbon_footprint", "saved_carbon_footprint_heat", "PUE", "total_consumed_energy_Wh"):
        assert facts[key] == pytest.approx(expected[key]), key


@pytest.mark.usefixtures("scene")
def test_an_attempt_that_is_no_longer_current_cannot_write_outputs(
    api: Api, node: Api, farm: RunningFarm
) -> None:
    uuid = submit(api, advancedRanges="1")
    attempt = claim(node)["attempt_id"]
    assert api.post(f"/tasks/{uuid}/abort").status_code == 204

    late = node.put(f"/attempts/{attempt}/outputs/frame_0001.png", data=b"stale png")

    assert late.status_code == 409 and "no longer" in late.json()["message"]
    listing = s3_for(farm, farm.email, farm.token).list_objects_v2(Bucket=RESULT_BUCKET)
    assert "frame_0001.png" not in [o["Key"] for o in listing.get("Contents", [])]


def test_any_node_request_marks_the_node_seen(farm: RunningFarm) -> None:
    assert farm.server is not None
    fleet = farm.server.ctx.fleet
    node = api_for(farm.url + "/nodes/v1", fleet.add("quiet"))

    assert node.post("/claim", json={"room": COLD_ROOM, "wait_s": 0}).status_code == 204

    seen = {n.name: n.last_seen for n in fleet.summaries(timedelta(seconds=30))}
    assert seen["quiet"] is not None


@pytest.mark.parametrize("attempt", [0, 2**63, 10**30])
def test_an_attempt_id_no_database_can_hold_is_a_clear_400(node: Api, attempt: int) -> None:
    for response in (
        node.post(f"/attempts/{attempt}/started"),
        node.put(f"/attempts/{attempt}/outputs/frame_0001.png", data=b"png"),
    ):
        assert response.status_code == 400, response.text
        assert "attempt_id" in response.json()["message"]
