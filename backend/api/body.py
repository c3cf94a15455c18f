"""Reads JSON request bodies within the size limit and validates them into strict schemas."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from backend.api.errors import describe_validation_errors

M = TypeVar("M", bound=BaseModel)


def _limit(request: Request) -> int:
    limit: int = request.app.state.ctx.settings.max_json_body_bytes
    return limit


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body is larger than {limit} bytes; send less data per request")


async def read_json(request: Request, *, allow_empty: bool = False) -> Any:
    """The parsed body; 413 past the limit (declared or streamed), 400 when it is not JSON."""
    limit = _limit(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            # Chunked uploads have no Content-Length: stop reading as soon as the limit is passed.
            raise _too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        if allow_empty:
            return None
        raise HTTPException(400, "request body is empty; send a JSON document")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"malformed JSON body: {exc}") from None
    except RecursionError:
        # A few KB of `[[[[...` exhausts the decoder's recursion guard: that is bad input, not a server fault.
        raise HTTPException(400, "malformed JSON body: arrays or objects are nested too deeply") from None


def validate(model: type[M], data: Any, what: str = "") -> M:
    if not isinstance(data, dict):
        raise HTTPException(400, f"{what or 'request body'} must be a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = describe_validation_errors(list(exc.errors()))
        raise HTTPException(400, f"{what}: {message}" if what else message) from None


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency giving the request body as `model`."""

    async def dependency(request: Request) -> M:
        return validate(model, await read_json(request))

    return dependency


def optional_json_body(model: type[M]) -> Callable[[Request], Awaitable[M | None]]:
    """Like json_body, but an empty body (the SDK's PATCH/POST without data) gives None."""

    async def dependency(request: Request) -> M | None:
        data = await read_json(request, allow_empty=True)
        return None if data is None else validate(model, data)

    return dependency
