"""Builds the StorageEngine the settings ask for."""

from __future__ import annotations

from backend.config import Settings
from backend.db.session import Database
from backend.storage.engine import StorageEngine


class StorageConfigError(Exception):
    """The storage settings cannot work; the message says which setting to fix."""


def make_storage_engine(settings: Settings, db: Database) -> StorageEngine:
    if settings.storage_engine == "local":
        from backend.storage.local import LocalEngine

        return LocalEngine(settings.data_dir / "objects", db)
    if settings.storage_engine == "s3":
        if settings.external_s3 is None:
            raise StorageConfigError(
                "storage engine 's3' needs an endpoint: set HEARTH_S3_ENDPOINT and its keys"
            )
        from backend.storage.external_s3 import ExternalS3Engine

        return ExternalS3Engine(settings.external_s3)
    if settings.storage_engine == "memory":
        from backend.storage.memory import MemoryEngine

        return MemoryEngine()
    raise StorageConfigError(f"unknown storage engine {settings.storage_engine!r}; use 'local' or 's3'")
