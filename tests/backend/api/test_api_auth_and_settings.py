"""Authentication on every endpoint, /settings and /info, profiles, slash collapsing, JSON 404s."""

from __future__ import annotations

import pytest
import requests

from tests.backend.api.conftest import Api
from tests.farm_harness import RunningFarm

PROTECTED = [
    ("GET", "/settings"),
    ("GET", "/info"),
    ("GET", "/profiles"),
    ("GET", "/profiles/blender"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("POST", "/tasks/summaries/paginate"),
    ("POST", "/tasks/paginate"),
    ("GET", "/tasks/00000000-0000-0000-0000-000000000000"),
    ("DELETE", "/tasks/00000000-0000-0000-0000-000000000000"),
    ("POST", "/tasks/00000000-0000-0000-0000-000000000000/abort"),
    ("GET", "/tasks/00000000-0000-0000-0000-000000000000/stdout"),
    ("POST", "/tasks/00000000-0000-0000-0000-000000000000/snapshot"),
    ("GET", "/carbon/v1/tasks/00000000-0000-0000-0000-000000000000/carbon-facts"),
    ("GET", "/credits/v1/accounts/credits"),
    ("POST", "/pools"),
    ("POST", "/jobs/"),
    ("POST", "/jobs/paginate"),
    ("GET", "/pools/00000000-0000-0000-0000-000000000000"),
    ("GET", "/jobs/00000000-0000-0000-0000-000000000000/tasks"),
]


@pytest.mark.parametrize("header", [None, "hth_0123456789abcdef_" + "0" * 40, "garbage", "Bearer "])
def test_every_endpoint_needs_a_valid_token(farm: RunningFarm, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for method, path in PROTECTED:
        # Even a bad body must not be looked at before the caller is known.
        response = requests.request(method, farm.url + path, headers=headers, data=b"{bad", timeout=10)
        assert response.status_code == 401, (method, path)
        assert "token" in response.json()["message"].lower(), (method, path)


def test_bearer_prefix_and_raw_token_are_both_accepted(farm: RunningFarm) -> None:
    for header in (farm.token, f"Bearer {farm.token}", f"bearer  {farm.token}"):
        response = requests.get(farm.url + "/settings", headers={"Authorization": header}, timeout=10)
        assert response.status_code == 200, header


def test_settings_points_at_the_storage_endpoint_even_with_double_slashes(
    farm: RunningFarm, api: Api
) -> None:
    assert api.get("/settings").json() == {"storage": farm.storage_url}
    assert api.get("//settings").json() == {"storage": farm.storage_url}
    assert api.get("//profiles//blender").status_code == 200


def test_info_has_email_and_no_fields_that_crash_the_sdk(farm: RunningFarm, api: Api) -> None:
    info = api.get("/info").json()
    assert info["email"] == farm.email
    assert "computingQuotas" not in info
    assert "projects" not in info
    assert isinstance(info["taskCount"], int)


def test_profiles_list_names_and_details(api: Api) -> None:
    assert api.get("/profiles").json() == ["blender"]
    blender = api.get("/profiles/blender").json()
    assert blender["name"] == "blender"
    constants = {c["name"]: c["value"] for c in blender["constants"]}
    assert constants["BLEND_ENGINE"] == "CYCLES"
    assert constants["HEARTH_POLICY"] == "heat-first"
    assert {"BLEND_FILE", "BLEND_FORMAT", "BLEND_W", "BLEND_H", "BLEND_RATIO", "HEARTH_DEADLINE"} <= set(
        constants
    )


def test_unknown_profile_route_and_method_answer_json(api: Api) -> None:
    missing = api.get("/profiles/docker-batch")
    assert missing.status_code == 404
    assert "docker-batch" in missing.json()["message"]
    assert api.get("/no/such/route").json() == {"message": "Not Found"}
    wrong_method = api.put("/settings")
    assert wrong_method.status_code == 405
    assert "message" in wrong_method.json()


def test_storage_paths_are_not_rewritten(farm: RunningFarm) -> None:
    # A double slash under /storage must reach the S3 app unchanged (it answers in XML, not JSON).
    response = requests.get(farm.storage_url + "//x", timeout=10)
    assert response.headers.get("content-type", "").startswith(("application/xml", "text/xml"))
