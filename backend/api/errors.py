"""Exception handlers: every error leaves the API as JSON `{"message": ...}`, never as a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.middleware import INTERNAL_ERROR_MESSAGE
from backend.tasks.errors import InvalidRequestError, NotAllowedError, NotFoundError, TaskDomainError

log = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 10


def message_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """One readable sentence from pydantic errors: unknown fields first, then the other problems."""
    unknown: list[str] = []
    problems: list[str] = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "extra_forbidden":
            unknown.append(_location(loc))
        elif error.get("type") == "json_invalid":
            problems.append(f"malformed JSON: {error.get('msg')}")
        else:
            problems.append(f"{_location(loc)}: {error.get('msg')}")
    parts = []
    if unknown:
        parts.append("unknown field(s): " + ", ".join(unknown[:MAX_LISTED_ERRORS]))
    parts.extend(problems[:MAX_LISTED_ERRORS])
    return "invalid request: " + "; ".join(parts)


def _status_of(exc: TaskDomainError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, NotAllowedError):
        return 403
    if isinstance(exc, InvalidRequestError):
        return 400
    return 400


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return message_response(exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    return message_response(400, describe_validation_errors(list(exc.errors())))


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TaskDomainError)
    return message_response(_status_of(exc), str(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return message_response(500, INTERNAL_ERROR_MESSAGE)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(TaskDomainError, _domain_error)
    app.add_exception_handler(Exception, _unexpected)
