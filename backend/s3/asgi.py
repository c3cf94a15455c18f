"""The S3 endpoint as a raw ASGI app: parse, authenticate, dispatch, and turn every failure into S3 XML."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.context import FarmContext
from backend.s3.auth import authenticate
from backend.s3.body import ClientGoneError
from backend.s3.call import Call
from backend.s3.dispatch import choose
from backend.s3.errors import NotModified, S3Error, from_storage
from backend.s3.request import S3Request, new_request_id
from backend.s3.responses import send_error, send_not_modified
from backend.storage.engine import StorageError

log = logging.getLogger(__name__)


def create_s3_app(ctx: FarmContext) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        head = scope["method"] == "HEAD"
        request_id = new_request_id()
        started = False
        body_done = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def tracking_receive() -> Message:
            nonlocal body_done
            message = await receive()
            body_done = body_done or not message.get("more_body", False)
            return message

        req: S3Request | None = None
        try:
            req = S3Request.from_scope(scope)
            request_id = req.request_id
            auth = authenticate(req, ctx.accounts)
            call = Call(ctx, req, auth, tracking_receive, tracking_send)
            await choose(call)(call)
            return
        except ClientGoneError:
            return
        except NotModified as not_modified:
            error: S3Error | NotModified = not_modified
        except S3Error as s3_error:
            error = s3_error
            if req is not None:
                error.bucket = error.bucket or req.bucket
                error.key = error.key if error.key is not None else req.key
        except StorageError as storage_error:
            error = from_storage(storage_error, req.bucket if req else None, req.key if req else None)
        except Exception:
            log.exception("S3 request %s failed", request_id)
            error = S3Error("InternalError", "We encountered an internal error. Please try again.")
        if started:
            return  # a failure mid-stream: the connection is closed by the server, nothing more to say
        if isinstance(error, NotModified):
            await send_not_modified(send, request_id, error)
            return
        if not body_done and _has_body(scope):
            # The client may still be sending (or, after Expect: 100-continue, may never send) the body
            # we did not read: end the connection, or leftover bytes would be parsed as a request.
            error.headers.append((b"connection", b"close"))
        await send_error(send, request_id, error, head=head)

    return app


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


class S3Mount:
    """ASGI middleware sending `{prefix}` and `{prefix}/...` to the S3 app before any routing.

    Unlike a Starlette Mount it also takes the bare prefix (botocore's ListBuckets path) without a
    redirect, and it skips the framework's routing and exception layers on the hot path.
    """

    def __init__(self, app: ASGIApp, s3_app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.s3_app = s3_app
        self.prefix = prefix
        self.prefix_slash = prefix + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path == self.prefix or path.startswith(self.prefix_slash):
                root = scope.get("root_path", "")
                await self.s3_app({**scope, "root_path": root + self.prefix}, receive, send)
                return
        await self.app(scope, receive, send)
