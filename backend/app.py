"""create_app: the farm's ASGI application, REST API and S3 endpoint on one port."""

from __future__ import annotations

from fastapi import FastAPI

from backend.api import install_api
from backend.config import STORAGE_PATH_PREFIX
from backend.context import FarmContext
from backend.s3.asgi import S3Mount, create_s3_app


def create_app(ctx: FarmContext) -> FastAPI:
    app = FastAPI(title="Hearth farm", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.ctx = ctx
    app.add_middleware(S3Mount, s3_app=create_s3_app(ctx), prefix=STORAGE_PATH_PREFIX)
    install_api(app, ctx)
    return app
