"""The minimal pools and jobs endpoints of qarnot-api.md section 6 at the HTTP level."""

from __future__ import annotations

import re

from tests.backend.api.conftest import Api, submit

QARNOT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _pool(api: Api, **overrides: object) -> str:
    body = {
        "name": "pool",
        "profile": "blender",
        "constants": [{"key": "BLEND_ENGINE", "value": "CYCLES"}],
        "forcedConstants": [],
        "constraints": [],
        "instanceCount": 2,
        "tags": ["p"],
        "preparationTask": None,
        "elasticProperty": {
            "isElastic": False,
            "minTotalSlots": 0,
            "maxTotalSlots": 0,
            "minIdleSlots": 0,
            "resizePeriod": 90,
            "rampResizeFactor": 0.4,
            "minIdleTimeSeconds": 90,
        },
        "taskDefaultWaitForPoolResourcesSynchronization": None,
        "labels": {},
        "advancedResourceBuckets": [],
        "autoDeleteOnCompletion": False,
        "completionTimeToLive": "00:00:00",
        "hardwareConstraints": [],
        "defaultResourcesCacheTTLSec": None,
        "privileges": {"exportApiAndStorageCredentialsInEnvironment": False},
        "defaultRetrySettings": {"maxTotalRetries": None, "maxPerInstanceRetries": None},
        **overrides,
    }
    response = api.post("/pools", json=body)
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def test_pool_lifecycle(api: Api, scene: str) -> None:
    uuid = _pool(api)
    pool = api.get(f"/pools/{uuid}").json()
    assert (pool["name"], pool["profile"], pool["instanceCount"]) == ("pool", "blender", 2)
    assert QARNOT_DATE.match(pool["creationDate"])
    assert isinstance(pool["elasticProperty"], dict) and isinstance(pool["defaultRetrySettings"], dict)
    page = api.post(
        "/pools/summaries/paginate", json={"filter": None, "token": None, "maximumResults": 5}
    ).json()
    assert [p["uuid"] for p in page["data"]] == [uuid]
    tagged = {
        "filter": {"operator": "Equal", "field": "Tags", "value": "nope"},
        "token": None,
        "maximumResults": 5,
    }
    assert api.post("/pools/paginate", json=tagged).json()["data"] == []
    assert api.get(f"/pools/{uuid}/stdout").text == ""
    assert api.get(f"/pools/{uuid}/stderr/1").text == ""
    for missing in ("2", "abc", "9" * 23, str(2**63)):
        for method in ("GET", "POST"):
            response = api.session.request(method, f"{api.url}/pools/{uuid}/stdout/{missing}")
            assert response.status_code == 404, (missing, method, response.text[:200])
            assert "instance" in response.json()["message"]
    unknown_stream = api.get(f"/pools/{uuid}/stdlog")
    assert unknown_stream.status_code == 404 and "stdlog" in unknown_stream.json()["message"]
    assert api.patch(f"/pools/{uuid}").status_code == 204

    task = submit(api, profile=None, poolUuid=uuid)
    assert api.get(f"/tasks/{task}").json()["poolUuid"] == uuid
    busy = api.delete(f"/pools/{uuid}")
    assert busy.status_code == 403
    assert api.post(f"/tasks/{task}/abort").status_code == 204
    assert api.post(f"/pools/{uuid}/close").status_code == 204
    assert api.get(f"/pools/{uuid}").json()["state"] == "Closed"
    assert api.delete(f"/pools/{uuid}").status_code == 204
    assert api.get(f"/pools/{uuid}").status_code == 404


def test_pool_bad_input(api: Api) -> None:
    response = api.post("/pools", json={"name": "p", "profile": "nope", "instanceCount": 1})
    assert response.status_code == 400 and "nope" in response.json()["message"]
    response = api.post(
        "/pools",
        json={
            "name": "p",
            "profile": "blender",
            "instanceCount": 1,
            "constants": [{"key": "BLEND_W", "value": "0"}],
        },
    )
    assert response.status_code == 400 and "BLEND_W" in response.json()["message"]
    response = api.post("/pools", json={"name": "p", "profile": "blender", "extra": 1})
    assert response.status_code == 400 and "extra" in response.json()["message"]


def test_job_lifecycle(api: Api, scene: str) -> None:
    body: dict[str, object] = {
        "name": "job",
        "poolUuid": None,
        "shortname": None,
        "state": "",
        "tags": [],
        "useDependencies": False,
        "maxWallTime": None,
        "autoDeleteOnCompletion": False,
        "completionTimeToLive": "00:00:00",
    }
    created = api.post("/jobs/", json=body)
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    job = api.get(f"/jobs/{uuid}").json()
    assert job["state"] == "Active" and QARNOT_DATE.match(job["creationDate"])
    task = submit(api, jobUuid=uuid)
    assert [t["uuid"] for t in api.get(f"/jobs/{uuid}/tasks").json()] == [task]
    refused = api.delete(f"/jobs/{uuid}", params={"force": "False"})
    assert refused.status_code == 403 and "force" in refused.json()["message"]
    assert api.post(f"/jobs/{uuid}/terminate").status_code == 204
    assert api.get(f"/tasks/{task}").json()["state"] == "Cancelled"
    assert api.get(f"/jobs/{uuid}").json()["state"] == "Completed"
    late = api.post(
        "/tasks", json={"name": "late", "profile": "blender", "instanceCount": 1, "jobUuid": uuid}
    )
    assert late.status_code == 400 and "Completed" in late.json()["message"]
    page = api.post("/jobs/paginate", json={"filter": None, "token": None, "maximumResults": None}).json()
    assert [j["uuid"] for j in page["data"]] == [uuid]
    assert api.delete(f"/jobs/{uuid}", params={"force": "True"}).status_code == 204
    assert api.get(f"/jobs/{uuid}").status_code == 404
    assert api.get(f"/tasks/{task}").status_code == 404


def test_job_force_delete_aborts_running_tasks(api: Api, scene: str) -> None:
    uuid = api.post("/jobs", json={"name": "job2"}).json()["uuid"]
    task = submit(api, jobUuid=uuid)
    assert api.delete(f"/jobs/{uuid}?force=True").status_code == 204
    assert api.get(f"/tasks/{task}").status_code == 404


def test_pool_tasks_find_the_scene_in_the_pool_resources(api: Api, scene: str) -> None:
    uuid = _pool(api, advancedResourceBuckets=[{"bucketName": scene}])
    task = submit(api, profile=None, poolUuid=uuid, advancedResourceBuckets=[])
    assert api.get(f"/tasks/{task}").json()["profile"] is None
    missing = api.post(
        "/tasks",
        json={
            "name": "p",
            "poolUuid": uuid,
            "instanceCount": 1,
            "constants": [{"key": "BLEND_FILE", "value": "nope.blend"}],
        },
    )
    assert missing.status_code == 400 and f"'{scene}'" in missing.json()["message"]


def test_pool_resource_prefixes_are_checked(api: Api, scene: str) -> None:
    for rules in (
        {"filtering": {"prefixFiltering": {"prefix": "../../x"}}},
        {"resourcesTransformation": {"stripPrefix": {"prefix": "a\x00b"}}},
    ):
        body = {"name": "p", "profile": "blender", "instanceCount": 1}
        response = api.post(
            "/pools", json={**body, "advancedResourceBuckets": [{"bucketName": scene, **rules}]}
        )
        assert response.status_code == 400, response.text
        assert "prefix" in response.json()["message"]
