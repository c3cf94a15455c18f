"""An unexpected exception becomes a JSON 500 without any traceback in the body."""

from __future__ import annotations

import pytest

from backend.tasks.service import TaskService
from tests.backend.api.conftest import Api


def test_unexpected_errors_are_a_json_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(TaskService, "list_all", boom)
    response = api.get("/tasks")
    assert response.status_code == 500
    assert response.json() == {"message": "internal error, see server log"}
    assert "secret" not in response.text and "Traceback" not in response.text
    # The connection stays usable: the next request on the same keep-alive session works.
    assert api.get("/settings").status_code == 200
