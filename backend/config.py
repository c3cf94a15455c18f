"""Server settings, from CLI flags and HEARTH_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

DEFAULT_PORT = 8400
DEFAULT_MAX_JSON_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_HEAT_WAIT_S = 30.0
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
DEFAULT_LOCAL_NODES = 2
STORAGE_PATH_PREFIX = "/storage"


PROFILES_PACKAGE = "backend.profiles"
PROFILES_DATA_DIR = "data"


def default_profiles_dir() -> Path:
    """The profiles shipped with the package (backend/profiles/data, package data; resources/profiles links
    to it), found through importlib.resources so that wheels and the PyInstaller bundle have them too."""
    return Path(str(resources.files(PROFILES_PACKAGE).joinpath(PROFILES_DATA_DIR)))


@dataclass(frozen=True)
class ExternalS3Settings:
    """Where the `s3` storage engine keeps objects: any S3-compatible store."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    bucket_prefix: str = "hearth-"
    verify_tls: bool | str = True


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None
    public_url: str | None = None
    storage_engine: str = "local"
    external_s3: ExternalS3Settings | None = None
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES
    profiles_dir: Path = field(default_factory=default_profiles_dir)
    heat_wait_s: float = DEFAULT_HEAT_WAIT_S
    heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S
    local_nodes: int = 0
    node_port: int = 0  # the mTLS node listener's port, used only with client_ca (0 picks a free one)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hearth.db'}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    def base_url(self, bound_port: int | None = None, *, public: bool = True) -> str:
        """The URL clients use; `bound_port` replaces port 0 once the socket is bound."""
        if self.public_url and public:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{self.scheme}://{host}:{bound_port or self.port}"


def default_data_dir() -> Path:
    env = os.environ.get("HEARTH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "hearth" / "farm"


def external_s3_from_env() -> ExternalS3Settings | None:
    endpoint = os.environ.get("HEARTH_S3_ENDPOINT")
    if not endpoint:
        return None
    return ExternalS3Settings(
        endpoint_url=endpoint,
        access_key=os.environ.get("HEARTH_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("HEARTH_S3_SECRET_KEY", ""),
        region=os.environ.get("HEARTH_S3_REGION", "us-east-1"),
        bucket_prefix=os.environ.get("HEARTH_S3_BUCKET_PREFIX", "hearth-"),
    )
