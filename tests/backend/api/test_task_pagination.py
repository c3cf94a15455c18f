"""Paginated listings: stable opaque tokens, page sizes, tag filters (Equal / Or / And) and bad tokens."""

from __future__ import annotations

from typing import Any

from tests.backend.api.conftest import Api, submit

SUMMARIES = "/tasks/summaries/paginate"
FULL = "/tasks/paginate"


def _page(
    api: Api, path: str, flt: dict[str, Any] | None = None, token: str | None = None, size: int | None = None
) -> dict[str, Any]:
    response = api.post(path, json={"filter": flt, "token": token, "maximumResults": size})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _walk(api: Api, path: str, flt: dict[str, Any] | None, size: int) -> tuple[list[str], int]:
    uuids: list[str] = []
    token = None
    pages = 0
    while True:
        page = _page(api, path, flt, token, size)
        pages += 1
        uuids += [t["uuid"] for t in page["data"]]
        assert isinstance(page["isTruncated"], bool)
        if not page["isTruncated"]:
            assert page["nextToken"] is None
            return uuids, pages
        token = page["nextToken"]
        assert isinstance(token, str) and token


def _equal(tag: str) -> dict[str, Any]:
    return {"operator": "Equal", "field": "Tags", "value": tag}


def test_pages_cover_every_task_once_in_creation_order(api: Api, scene: str) -> None:
    uuids = [submit(api, name=f"t{n}", tags=["red" if n % 3 == 0 else "blue", f"n{n}"]) for n in range(10)]
    assert _walk(api, SUMMARIES, None, 3) == (uuids, 4)
    assert _walk(api, SUMMARIES, None, 10) == (uuids, 1)
    assert _walk(api, FULL, None, 4) == (uuids, 3)
    default = _page(api, SUMMARIES)
    assert [t["uuid"] for t in default["data"]] == uuids
    assert default["isTruncated"] is False

    # Tokens are stable: the same token gives the same page, also after new tasks arrive.
    first = _page(api, SUMMARIES, size=4)
    second_a = _page(api, SUMMARIES, token=first["nextToken"], size=4)
    submit(api, name="late")
    second_b = _page(api, SUMMARIES, token=first["nextToken"], size=4)
    assert [t["uuid"] for t in second_a["data"]] == [t["uuid"] for t in second_b["data"]] == uuids[4:8]


def test_tag_filters(api: Api, scene: str) -> None:
    uuids = [submit(api, name=f"t{n}", tags=["red" if n % 3 == 0 else "blue", f"n{n}"]) for n in range(7)]
    red = [u for n, u in enumerate(uuids) if n % 3 == 0]
    assert _walk(api, FULL, _equal("red"), 2)[0] == red
    any_of = {"operator": "Or", "filters": [_equal("n1"), _equal("n5")]}
    assert _walk(api, FULL, any_of, 1)[0] == [uuids[1], uuids[5]]
    all_of = {"operator": "And", "filters": [_equal("red"), _equal("n3")]}
    assert _walk(api, FULL, all_of, 5)[0] == [uuids[3]]
    nested = {"operator": "Or", "filters": [all_of, _equal("n2")]}
    assert _walk(api, FULL, nested, 5)[0] == [uuids[2], uuids[3]]
    assert _walk(api, FULL, _equal("green"), 5)[0] == []


def test_bad_page_requests(api: Api, scene: str) -> None:
    for n in range(3):
        submit(api, name=f"t{n}", tags=["x"])
    token = _page(api, SUMMARIES, size=1)["nextToken"]
    for bad in ("not-a-token", "eyJhIjogMX0", token[:-3] + "AAA"):
        response = api.post(SUMMARIES, json={"filter": None, "token": bad, "maximumResults": 1})
        assert response.status_code == 400, bad
        assert "token" in response.json()["message"]
    # A token is bound to its filter: reusing it with another filter is refused, not silently wrong.
    other = api.post(FULL, json={"filter": _equal("x"), "token": token, "maximumResults": 1})
    assert other.status_code == 400
    assert "another listing or filter" in other.json()["message"]
    for body in (
        {
            "filter": {"operator": "Like", "field": "Tags", "value": "x"},
            "token": None,
            "maximumResults": None,
        },
        {
            "filter": {"operator": "Equal", "field": "Name", "value": "x"},
            "token": None,
            "maximumResults": None,
        },
        {"filter": {"operator": "And", "filters": "x"}, "token": None, "maximumResults": None},
        {"filter": None, "token": None, "maximumResults": 0},
        {"filter": None, "token": None, "maximumResults": None, "offset": 3},
    ):
        response = api.post(FULL, json=body)
        assert response.status_code == 400, body
        assert response.json()["message"]
