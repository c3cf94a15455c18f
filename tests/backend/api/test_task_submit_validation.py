"""Every bad submission gets a 4xx with a JSON message that names the problem; SDK keys are accepted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backend.api.conftest import Api, api_for, s3_for, task_body
from tests.farm_harness import RunningFarm, farm_in_thread


def _rejected(api: Api, status: int, *fragments: str, **overrides: Any) -> str:
    response = api.post("/tasks", json=task_body(**overrides))
    assert response.status_code == status, response.text
    message: str = response.json()["message"]
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    return message


def test_malformed_json_and_non_object_bodies(api: Api) -> None:
    bad = api.post("/tasks", data=b'{"name": ', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert "malformed JSON" in bad.json()["message"]
    empty = api.post("/tasks", data=b"")
    assert empty.status_code == 400
    scalar = api.post("/tasks", json="a task")
    assert scalar.status_code == 400
    assert "JSON object" in scalar.json()["message"]


@pytest.mark.parametrize("depth", [3000, 900])
def test_deeply_nested_json_is_400_not_500(api: Api, depth: int) -> None:
    # 3000 levels (6 KB) exhaust json's recursion guard; 900 parse but are still no task.
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        body = (opener * depth + closer * depth).encode()
        response = api.post("/tasks", data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text[:200]
        message: str = response.json()["message"]
        assert "Traceback" not in message
        if depth == 3000:
            assert "nested too deeply" in message


def test_unknown_fields_are_named(api: Api, scene: str) -> None:
    _rejected(
        api,
        400,
        "unknown field(s)",
        "instanceCont",
        "advancedResourceBuckets.0.bucketNam",
        instanceCont=3,
        advancedResourceBuckets=[{"bucketNam": scene}],
    )


def test_wrong_types_say_where(api: Api, scene: str) -> None:
    _rejected(api, 400, "instanceCount", instanceCount="many", advancedRanges=None)
    _rejected(api, 400, "tags", tags="not-a-list")


def test_every_key_the_sdk_can_send_is_accepted(api: Api, scene: str) -> None:
    body = task_body(
        shortname="short",
        maxTimeQueueSeconds=60,
        ResultsCacheTTLSec=10,
        snapshotWhitelist=".*png",
        snapshotBlacklist="tmp",
        resultsWhitelist=".*",
        resultsBlacklist="log",
        schedulingType="Flex",
        targetedReservedMachineKey="m",
        targetedReservationName="r",
        secretsAccessRights={"bySecret": [{"key": "k"}], "byPrefix": [{"prefix": "p"}]},
        projectUuid="00000000-0000-0000-0000-000000000001",
        dependencies={"advancedDependsOn": [{"taskUuid": "t", "taskFinalStateCondition": ["success"]}]},
        hardwareConstraints=[{"discriminator": "MinimumCoreHardwareConstraint", "coreCount": 2}],
        forcedNetworkRules=[{"inbound": True, "proto": "tcp", "port": "80"}],
        forcedConstants=[{"constantName": "X", "forcedValue": "1", "forceExportInEnvironment": True}],
        constraints=[{"key": "c", "value": "v"}],
        labels={"owner": "me"},
        uploadResultsOnCancellation=True,
        waitForPoolResourcesSynchronization=False,
        advancedResourceBuckets=[
            {
                "bucketName": scene,
                "filtering": {"prefixFiltering": {"prefix": "shots/"}},
                "resourcesTransformation": {"stripPrefix": {"prefix": ""}},
                "cacheTTLSec": 60,
            }
        ],
        hearthPriority=5,
    )
    response = api.post("/tasks", json=body)
    assert response.status_code == 201, response.text
    task = api.get(f"/tasks/{response.json()['uuid']}").json()
    assert task["hearthPriority"] == 5
    assert task["labels"] == {"owner": "me"}
    assert task["uploadResultsOnCancellation"] is True


def test_the_sdk_instance_count_form(api: Api, scene: str) -> None:
    response = api.post("/tasks", json=task_body(advancedRanges=None, instanceCount=4))
    assert response.status_code == 201
    task = api.get(f"/tasks/{response.json()['uuid']}").json()
    assert task["instanceCount"] == 4
    assert task["advancedRanges"] is None


@pytest.mark.parametrize(
    ("ranges", "fragments"),
    [
        ("5-1", ["5-1", "reversed"]),
        ("a-b", ["position 1", "expected a frame number", "'a'"]),
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("1-100001", ["more than 100000"]),
        ("1-3,,5", ["position 5"]),
        ("[1-3", ["closing ']'"]),
        ("1-3x2", ["position 4"]),
    ],
)
def test_bad_frame_ranges(api: Api, scene: str, ranges: str, fragments: list[str]) -> None:
    _rejected(api, 400, "advancedRanges", *fragments, advancedRanges=ranges)


def test_range_forms_and_counts(api: Api, scene: str) -> None:
    for ranges, count in (("1-10,20,30-40", 22), ("[1-3]", 3), (" 1 - 3 , 7 ", 4), ("1-100:5", 20)):
        response = api.post("/tasks", json=task_body(advancedRanges=ranges))
        assert response.status_code == 201, ranges
        task = api.get(f"/tasks/{response.json()['uuid']}").json()
        assert task["instanceCount"] == count, ranges
        assert task["advancedRanges"] == ranges


def test_frame_count_form_limits(api: Api, scene: str) -> None:
    _rejected(api, 400, "instanceCount=0", advancedRanges=None, instanceCount=0)
    _rejected(api, 400, "100000", advancedRanges=None, instanceCount=100_001)
    _rejected(api, 400, "advancedRanges", "instanceCount", advancedRanges=None)
    _rejected(api, 400, "not both", instanceCount=3)


@pytest.mark.parametrize(
    ("key", "value", "fragments"),
    [
        (
            "BLEND_ENGINE",
            "BLENDER_RENDER",
            ["BLEND_ENGINE", "'BLENDER_RENDER'", "CYCLES", "BLENDER_EEVEE_NEXT"],
        ),
        ("BLEND_FORMAT", "GIF", ["BLEND_FORMAT", "'GIF'", "OPEN_EXR"]),
        ("BLEND_CYCLES_SAMPLES", "0", ["BLEND_CYCLES_SAMPLES", "'0'", "1 to 65536"]),
        ("BLEND_CYCLES_SAMPLES", "lots", ["BLEND_CYCLES_SAMPLES", "not an integer"]),
        ("BLEND_W", "16385", ["BLEND_W", "1 to 16384"]),
        ("BLEND_H", "-1", ["BLEND_H"]),
        ("BLEND_RATIO", "101", ["BLEND_RATIO", "1 to 100"]),
        ("HEARTH_POLICY", "cheapest", ["HEARTH_POLICY", "heat-first", "fastest"]),
        ("HEARTH_DEADLINE", "tomorrow", ["HEARTH_DEADLINE", "ISO 8601"]),
        ("HEARTH_DEADLINE", "2026-12-24T18:00:00", ["HEARTH_DEADLINE", "time zone"]),
        ("BLEND_FOMRAT", "PNG", ["BLEND_FOMRAT", "BLEND_FORMAT"]),
        ("BLEND_SCENE", "Scene\x00evil", ["BLEND_SCENE", "control character", "'\\x00'", "position 5"]),
        ("BLEND_SCENE", "Scene\n--python x.py", ["BLEND_SCENE", "control character", "'\\n'"]),
        ("BLEND_SCENE", "s" * 256, ["BLEND_SCENE", "256 characters", "at most 255"]),
        ("BLEND_CAMERA", "Cam\x1b[2J", ["BLEND_CAMERA", "control character", "'\\x1b'"]),
        ("BLEND_CAMERA", "Cam\x00", ["BLEND_CAMERA", "control character", "'\\x00'"]),
        ("BLEND_CAMERA", "c" * 256, ["BLEND_CAMERA", "at most 255"]),
        ("BLEND_FILE", "shots/ma\tin.blend", ["BLEND_FILE", "control character"]),
        ("MY_VARIABLE", "a\x00b", ["MY_VARIABLE", "NUL"]),
        ("BAD\x00KEY", "x", ["constant name", "control characters"]),
        ("A=B", "x", ["constant name", "'='"]),
    ],
)
def test_constants_are_validated_with_clear_messages(
    api: Api, scene: str, key: str, value: str, fragments: list[str]
) -> None:
    constants = [{"key": "BLEND_FILE", "value": "shots/main.blend"}, {"key": key, "value": value}]
    _rejected(api, 400, *fragments, constants=constants)


@pytest.mark.parametrize("field", ["name", "shortname"])
@pytest.mark.parametrize("text", ["shot\x00010", "line\nbreak", "bell\x07", "c1\x85"])
def test_task_names_reject_control_characters(api: Api, scene: str, field: str, text: str) -> None:
    _rejected(api, 400, field, "control characters", **{field: text})


def test_pool_and_job_names_reject_control_characters(api: Api) -> None:
    pool = api.post("/pools", json={"name": "p\x00ool", "profile": "blender", "instanceCount": 1})
    assert pool.status_code == 400 and "control characters" in pool.json()["message"], pool.text
    job = api.post("/jobs", json={"name": "jo\nb"})
    assert job.status_code == 400 and "control characters" in job.json()["message"], job.text


def test_plain_names_and_scene_names_still_pass(api: Api, scene: str) -> None:
    constants = [
        {"key": "BLEND_FILE", "value": "shots/main.blend"},
        {"key": "BLEND_SCENE", "value": "Scène 2 (final)"},
        {"key": "BLEND_CAMERA", "value": "CAM.001"},
        {"key": "MY_NOTES", "value": "line one\nline two"},
    ]
    response = api.post("/tasks", json=task_body(name="Shot 010 — éclairage", constants=constants))
    assert response.status_code == 201, response.text


def test_valid_constants_set_scheduling_fields(api: Api, scene: str) -> None:
    constants = [
        {"key": "BLEND_FILE", "value": "shots/main.blend"},
        {"key": "BLEND_ENGINE", "value": "BLENDER_EEVEE_NEXT"},
        {"key": "HEARTH_POLICY", "value": "fastest"},
        {"key": "HEARTH_DEADLINE", "value": "2026-12-24T18:00:00+01:00"},
        {"key": "HEARTH_PRIORITY", "value": "7"},
        {"key": "MY_OWN_VARIABLE", "value": "anything"},
    ]
    response = api.post("/tasks", json=task_body(constants=constants))
    assert response.status_code == 201, response.text
    task = api.get(f"/tasks/{response.json()['uuid']}").json()
    assert task["hearthPolicy"] == "fastest"
    assert task["hearthDeadline"] == "2026-12-24T17:00:00Z"
    assert task["hearthPriority"] == 7
    assert {"key": "MY_OWN_VARIABLE", "value": "anything"} in task["constants"]


def test_scene_file_must_exist_in_the_resource_buckets(api: Api, scene: str) -> None:
    _rejected(api, 400, "BLEND_FILE", "is required", constants=[])
    _rejected(
        api,
        400,
        "BLEND_FILE",
        "'missing.blend'",
        f"'{scene}'",
        constants=[{"key": "BLEND_FILE", "value": "missing.blend"}],
    )
    _rejected(api, 400, "BLEND_FILE", "'..'", constants=[{"key": "BLEND_FILE", "value": "../etc/passwd"}])
    _rejected(api, 400, "no resource bucket", advancedResourceBuckets=[])
    # A prefix filter that hides the file makes it missing too.
    hidden = [{"bucketName": scene, "filtering": {"prefixFiltering": {"prefix": "other/"}}}]
    _rejected(api, 400, "BLEND_FILE", advancedResourceBuckets=hidden)


@pytest.mark.parametrize("name", ["a..b", "bad\x00name", "with/slash", ""])
def test_malicious_bucket_names_are_rejected(api: Api, scene: str, name: str) -> None:
    _rejected(api, 400, "result bucket", resultBucket=name)
    _rejected(api, 400, "resource bucket", advancedResourceBuckets=[{"bucketName": name or "x..y"}])


@pytest.mark.parametrize(
    ("prefix", "fragment"),
    [("../../x", "'..'"), ("shots/../..", "'..'"), ("a\x00b", "NUL"), ("k" * 1100, "1024")],
)
def test_malicious_key_prefixes_are_rejected(api: Api, scene: str, prefix: str, fragment: str) -> None:
    filtered = [{"bucketName": scene, "filtering": {"prefixFiltering": {"prefix": prefix}}}]
    _rejected(api, 400, "prefixFiltering.prefix", fragment, advancedResourceBuckets=filtered)
    stripped = [{"bucketName": scene, "resourcesTransformation": {"stripPrefix": {"prefix": prefix}}}]
    _rejected(api, 400, "stripPrefix.prefix", fragment, advancedResourceBuckets=stripped)


def test_unknown_buckets_are_404_missing_bucket(api: Api, scene: str) -> None:
    _rejected(api, 404, "'no-such-results'", resultBucket="no-such-results")
    _rejected(api, 404, "'no-such-res'", advancedResourceBuckets=[{"bucketName": "no-such-res"}])


def test_unknown_profile_is_400(api: Api, scene: str) -> None:
    _rejected(api, 400, "'docker-batch'", "blender", profile="docker-batch")
    _rejected(api, 400, "profile is required", profile=None)


def test_bulk_submit_answers_per_task_in_order(api: Api, scene: str) -> None:
    bodies = [
        task_body(name="ok-1"),
        task_body(advancedRanges="9-2"),
        task_body(resultBucket="nope"),
        task_body(),
    ]
    response = api.post("/tasks", json=bodies)
    assert response.status_code == 200
    results = response.json()
    assert [r["statusCode"] for r in results] == [201, 400, 404, 201]
    assert results[0]["uuid"] and results[3]["uuid"] and results[1]["uuid"] is None
    assert "9-2" in results[1]["message"]
    assert api.get(f"/tasks/{results[0]['uuid']}").json()["name"] == "ok-1"
    malformed = api.post("/tasks", json=[task_body(), {"name": "x", "bogus": 1}])
    assert malformed.status_code == 400
    assert "task #1" in malformed.json()["message"]
    assert "bogus" in malformed.json()["message"]


@pytest.fixture
def small_farm(tmp_path: Path) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path / "small", max_json_body_bytes=2048) as running:
        yield running


def test_oversized_bodies_are_413(small_farm: RunningFarm) -> None:
    api = api_for(small_farm.url, small_farm.token)
    big = task_body(name="x" * 4000)
    declared = api.post("/tasks", json=big)
    assert declared.status_code == 413
    assert "2048 bytes" in declared.json()["message"]

    def chunks() -> Iterator[bytes]:
        # A generator body is sent chunked, without Content-Length: the streamed size is checked.
        yield b'{"name": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    streamed = api.post("/tasks", data=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert api.post("/tasks/paginate", json={"filter": None, "token": None, "maximumResults": None}).ok


def test_uploads_to_storage_are_not_limited_by_the_json_limit(small_farm: RunningFarm) -> None:
    s3 = s3_for(small_farm, small_farm.email, small_farm.token)
    s3.create_bucket(Bucket="big-upload")
    s3.put_object(Bucket="big-upload", Key="scene.blend", Body=b"z" * 100_000)
    assert s3.head_object(Bucket="big-upload", Key="scene.blend")["ContentLength"] == 100_000
