"""Domain errors of tasks, pools and jobs; backend/api maps each class to one HTTP status."""

from __future__ import annotations


class TaskDomainError(Exception):
    """Base: the message is shown to the user as is, so it says what was wrong and what to do."""


class InvalidRequestError(TaskDomainError):
    """The request cannot be honoured as written (HTTP 400)."""


class NotFoundError(TaskDomainError):
    """No such task, pool, job, instance or snapshot for this account (HTTP 404)."""


class BucketNotFoundError(NotFoundError):
    """A resource or result bucket that does not exist for this account (HTTP 404 on submit)."""


class NotAllowedError(TaskDomainError):
    """The resource exists but is in a state that forbids the operation (HTTP 403)."""
