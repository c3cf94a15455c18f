"""`/jobs`: named groups of tasks (create, read, list tasks, terminate, delete, list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from backend.api.body import json_body
from backend.api.deps import CurrentPrincipal, Services
from backend.tasks.schemas.common import Page, PageRequest, UuidReply
from backend.tasks.schemas.jobs import JobCreate, JobPublic
from backend.tasks.schemas.tasks import TaskPublic

router = APIRouter(tags=["jobs"])

JobBody = Annotated[JobCreate, Depends(json_body(JobCreate))]
PageBody = Annotated[PageRequest, Depends(json_body(PageRequest))]


# The SDK posts to `/jobs/` with a trailing slash; both spellings are served, without redirects.
@router.post("/jobs/", response_model=None)
@router.post("/jobs", response_model=None, include_in_schema=False)
def create_job(body: JobBody, services: Services, principal: CurrentPrincipal) -> JSONResponse:
    job_uuid = services.jobs.create(principal.account_id, body)
    return JSONResponse(UuidReply(uuid=job_uuid).model_dump(by_alias=True), status_code=201)


@router.post("/jobs/paginate")
def page_jobs(body: PageBody, services: Services, principal: CurrentPrincipal) -> Page[JobPublic]:
    return services.jobs.page(principal.account_id, "jobs", body)


@router.get("/jobs/{job_uuid}")
def get_job(job_uuid: str, services: Services, principal: CurrentPrincipal) -> JobPublic:
    return services.jobs.get(principal.account_id, job_uuid)


@router.get("/jobs/{job_uuid}/tasks")
def job_tasks(job_uuid: str, services: Services, principal: CurrentPrincipal) -> list[TaskPublic]:
    return services.jobs.tasks(principal.account_id, job_uuid)


@router.post("/jobs/{job_uuid}/terminate", status_code=204)
def terminate_job(job_uuid: str, services: Services, principal: CurrentPrincipal) -> Response:
    services.jobs.terminate(principal.account_id, job_uuid)
    return Response(status_code=204)


@router.delete("/jobs/{job_uuid}", status_code=204)
def delete_job(
    job_uuid: str, services: Services, principal: CurrentPrincipal, force: str = "False"
) -> Response:
    # The SDK spells the flag the Python way (`True`/`False`).
    services.jobs.delete(principal.account_id, job_uuid, force.strip().lower() in ("true", "1", "yes"))
    return Response(status_code=204)
