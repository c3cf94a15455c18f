"""JobService: named groups of tasks (qarnot-api.md section 6)."""

from __future__ import annotations

import uuid as uuid_module

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.session import Database
from backend.tasks.errors import InvalidRequestError, NotAllowedError, NotFoundError
from backend.tasks.listing import page_rows
from backend.tasks.schemas.common import Page, PageRequest, qarnot_date
from backend.tasks.schemas.jobs import JobCreate, JobPublic
from backend.tasks.schemas.tasks import TaskPublic
from backend.tasks.service import TaskService
from backend.tasks.states import is_final
from backend.tasks.tables import Job, Pool, Task
from backend.tasks.views import task_public

JOB_ACTIVE = "Active"
JOB_COMPLETED = "Completed"


def job_public(job: Job) -> JobPublic:
    return JobPublic(
        uuid=job.uuid,
        name=job.name,
        shortname=job.shortname,
        pool_uuid=job.pool_uuid,
        state=job.state,
        creation_date=qarnot_date(job.created_at) or "",
        last_modified=qarnot_date(job.updated_at),
        use_dependencies=job.use_dependencies,
        max_wall_time=job.max_wall_time,
        auto_delete_on_completion=job.auto_delete,
        completion_time_to_live=job.completion_ttl,
        tags=list(job.tags),
    )


class JobService:
    def __init__(self, db: Database, tasks: TaskService) -> None:
        self._db = db
        self._task_service = tasks

    @staticmethod
    def _job(session: Session, account_id: int, job_uuid: str) -> Job:
        job = session.scalar(select(Job).where(Job.uuid == job_uuid, Job.account_id == account_id))
        if job is None:
            raise NotFoundError(f"no job {job_uuid}")
        return job

    @staticmethod
    def _tasks(session: Session, job: Job) -> list[Task]:
        return list(session.scalars(select(Task).where(Task.job_uuid == job.uuid).order_by(Task.id)))

    def create(self, account_id: int, body: JobCreate) -> str:
        now = utcnow()
        with self._db.transaction() as session:
            if (
                body.pool_uuid is not None
                and session.scalar(
                    select(Pool.id).where(Pool.uuid == body.pool_uuid, Pool.account_id == account_id)
                )
                is None
            ):
                raise InvalidRequestError(f"poolUuid {body.pool_uuid!r}: no such pool")
            job = Job(
                uuid=str(uuid_module.uuid4()),
                account_id=account_id,
                name=body.name,
                shortname=body.shortname,
                pool_uuid=body.pool_uuid,
                state=JOB_ACTIVE,
                use_dependencies=bool(body.use_dependencies),
                max_wall_time=body.max_wall_time,
                auto_delete=bool(body.auto_delete_on_completion),
                completion_ttl=body.completion_time_to_live,
                tags=list(dict.fromkeys(body.tags)),
                created_at=now,
                updated_at=now,
            )
            session.add(job)
            return job.uuid

    def get(self, account_id: int, job_uuid: str) -> JobPublic:
        with self._db.transaction() as session:
            return job_public(self._job(session, account_id, job_uuid))

    def tasks(self, account_id: int, job_uuid: str) -> list[TaskPublic]:
        with self._db.transaction() as session:
            job = self._job(session, account_id, job_uuid)
            return [task_public(session, t) for t in self._tasks(session, job)]

    def terminate(self, account_id: int, job_uuid: str) -> None:
        """Cancels the job's unfinished tasks; the job then accepts no new task."""
        with self._db.transaction() as session:
            job = self._job(session, account_id, job_uuid)
            if job.state != JOB_ACTIVE:
                raise NotAllowedError(f"job {job_uuid} is already {job.state}")
            for task in self._tasks(session, job):
                if not is_final(task.state):
                    self._task_service.abort_in(session, task)
            job.state, job.updated_at = JOB_COMPLETED, utcnow()
        self._task_service.notify_listeners()

    def delete(self, account_id: int, job_uuid: str, force: bool) -> None:
        """Deletes the job and its tasks; unfinished tasks are aborted only when `force` is set."""
        with self._db.transaction() as session:
            job = self._job(session, account_id, job_uuid)
            tasks = self._tasks(session, job)
            unfinished = [t for t in tasks if not is_final(t.state)]
            if unfinished and not force:
                raise NotAllowedError(
                    f"job {job_uuid} has {len(unfinished)} unfinished task(s); "
                    "terminate it first or delete with force=True"
                )
            for task in unfinished:
                self._task_service.abort_in(session, task)
            for task in tasks:
                session.delete(task)
            session.delete(job)
        self._task_service.notify_listeners()

    def page(self, account_id: int, kind: str, request: PageRequest) -> Page[JobPublic]:
        with self._db.transaction() as session:
            rows = list(session.scalars(select(Job).where(Job.account_id == account_id).order_by(Job.id)))
            return page_rows(kind, rows, request, job_public)
