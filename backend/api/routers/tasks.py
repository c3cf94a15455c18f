"""`/tasks`: submit (single and bulk), read, list, commit, abort and delete tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from backend.api.body import json_body, read_json, validate
from backend.api.deps import CurrentPrincipal, Services
from backend.tasks.schemas.common import Page, PageRequest, UuidReply
from backend.tasks.schemas.tasks import TaskCreate, TaskPublic, TaskUpdate

router = APIRouter(tags=["tasks"])

MAX_BULK_TASKS = 1_000

PageBody = Annotated[PageRequest, Depends(json_body(PageRequest))]
TaskUpdateBody = Annotated[TaskUpdate, Depends(json_body(TaskUpdate))]


@router.post("/tasks", response_model=None)
async def submit_tasks(request: Request, services: Services, principal: CurrentPrincipal) -> JSONResponse:
    """One task object -> `{"uuid"}` (201); an array (conn.submit_tasks) -> one result per task, in order."""
    data = await read_json(request)
    if isinstance(data, list):
        if len(data) > MAX_BULK_TASKS:
            raise HTTPException(400, f"at most {MAX_BULK_TASKS} tasks per bulk submit, got {len(data)}")
        bodies = [validate(TaskCreate, item, f"task #{n}") for n, item in enumerate(data)]
        results = services.tasks.create_many(principal.account_id, bodies)
        return JSONResponse([r.model_dump(mode="json", by_alias=True) for r in results], status_code=200)
    body = validate(TaskCreate, data)
    task_uuid = services.tasks.create(principal.account_id, body)
    return JSONResponse(UuidReply(uuid=task_uuid).model_dump(by_alias=True), status_code=201)


@router.get("/tasks")
def list_tasks(services: Services, principal: CurrentPrincipal) -> list[TaskPublic]:
    return services.tasks.list_all(principal.account_id)


@router.post("/tasks/summaries/paginate")
def page_task_summaries(body: PageBody, services: Services, principal: CurrentPrincipal) -> Page[TaskPublic]:
    return services.tasks.page(principal.account_id, "tasks", body)


@router.post("/tasks/paginate")
def page_tasks(body: PageBody, services: Services, principal: CurrentPrincipal) -> Page[TaskPublic]:
    # Summaries are full documents here, so both listings share their page tokens.
    return services.tasks.page(principal.account_id, "tasks", body)


@router.get("/tasks/{task_uuid}")
def get_task(task_uuid: str, services: Services, principal: CurrentPrincipal) -> TaskPublic:
    return services.tasks.get(principal.account_id, task_uuid)


@router.put("/tasks/{task_uuid}", status_code=204)
def commit_task(
    task_uuid: str, body: TaskUpdateBody, services: Services, principal: CurrentPrincipal
) -> Response:
    services.tasks.update(principal.account_id, task_uuid, body)
    return Response(status_code=204)


@router.patch("/tasks/{task_uuid}", status_code=204)
def update_resources(task_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.tasks.update_resources(principal.account_id, task_uuid)
    return Response(status_code=204)


@router.post("/tasks/{task_uuid}/abort", status_code=204)
def abort_task(task_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.tasks.abort(principal.account_id, task_uuid)
    return Response(status_code=204)


@router.delete("/tasks/{task_uuid}", status_code=204)
def delete_task(task_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.tasks.delete(principal.account_id, task_uuid)
    return Response(status_code=204)
