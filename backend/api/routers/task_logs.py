"""`/tasks/{uuid}/stdout|stderr[/{instanceId}]`: GET = all retained output, POST = only what is new."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from backend.api.deps import CurrentPrincipal, Services
from backend.api.instances import instance_number
from backend.tasks.logs import Stream

router = APIRouter(tags=["task logs"])


def _read(
    services: Services, account_id: int, task_uuid: str, stream: Stream, instance: int | None, *, fresh: bool
) -> PlainTextResponse:
    text = services.tasks.read_log(account_id, task_uuid, stream, instance, fresh=fresh)
    return PlainTextResponse(text)


@router.get("/tasks/{task_uuid}/{stream}", response_class=PlainTextResponse)
def read_log(
    task_uuid: str, stream: Stream, services: Services, principal: CurrentPrincipal
) -> PlainTextResponse:
    return _read(services, principal.account_id, task_uuid, stream, None, fresh=False)


@router.post("/tasks/{task_uuid}/{stream}", response_class=PlainTextResponse)
def read_fresh_log(
    task_uuid: str, stream: Stream, services: Services, principal: CurrentPrincipal
) -> PlainTextResponse:
    return _read(services, principal.account_id, task_uuid, stream, None, fresh=True)


@router.get("/tasks/{task_uuid}/{stream}/{instance_id}", response_class=PlainTextResponse)
def read_instance_log(
    task_uuid: str, stream: Stream, instance_id: str, services: Services, principal: CurrentPrincipal
) -> PlainTextResponse:
    return _read(services, principal.account_id, task_uuid, stream, instance_number(instance_id), fresh=False)


@router.post("/tasks/{task_uuid}/{stream}/{instance_id}", response_class=PlainTextResponse)
def read_fresh_instance_log(
    task_uuid: str, stream: Stream, instance_id: str, services: Services, principal: CurrentPrincipal
) -> PlainTextResponse:
    return _read(services, principal.account_id, task_uuid, stream, instance_number(instance_id), fresh=True)
