"""ASGI middleware of the REST API: duplicate-slash collapsing and last-resort JSON 500s (not for S3)."""

from __future__ import annotations

import logging
import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.config import STORAGE_PATH_PREFIX

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal error, see server log"

_SLASHES = re.compile(r"/{2,}")


class CollapseSlashesMiddleware:
    """`cluster_url` with a trailing slash makes the SDK request `//settings`; route it as `/settings`.

    S3 requests are signed over their exact path, so anything under the storage prefix passes as is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            is_storage = path == STORAGE_PATH_PREFIX or path.startswith(STORAGE_PATH_PREFIX + "/")
            if "//" in path and not is_storage:
                collapsed = _SLASHES.sub("/", path)
                raw: bytes = scope.get("raw_path") or path.encode()
                scope = {
                    **scope,
                    "path": collapsed,
                    "raw_path": _SLASHES.sub("/", raw.decode("latin-1")).encode("latin-1"),
                }
        await self.app(scope, receive, send)


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into a JSON 500 and keeps the connection usable.

    Starlette's own last-resort handler re-raises after answering, which makes the server drop the
    keep-alive connection; clients would then fail on their next request. The S3 app answers its
    own errors in XML, so it is left alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or path == STORAGE_PATH_PREFIX
            or path.startswith(STORAGE_PATH_PREFIX + "/")
        ):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if started:
                raise  # half a response is out: only closing the connection can signal the failure
            response = JSONResponse({"message": INTERNAL_ERROR_MESSAGE}, status_code=500)
            await response(scope, receive, send)
