"""What every `hearth` command shares: exit codes, output channels, the login settings and the farm client."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from render_client.api import FarmClient, TlsOptions
from render_client.credentials import load_token, normalize_url
from render_client.errors import (
    CannotReachServer,
    CredentialsError,
    HearthError,
    NotAuthorized,
    PackingError,
    ServerRefused,
)
from render_client.transfer import StorageAccess, TransferCancelled, s3_client

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_UNAUTHORIZED = 4
EXIT_REFUSED = 5
EXIT_PACKING = 6
EXIT_INTERNAL = 70  # EX_SOFTWARE: an error hearth did not expect (a bug)
EXIT_INTERRUPTED = 130


class UsageError(HearthError):
    """The command line asks for something impossible; exit code 2."""


def exit_code_for(exc: HearthError) -> int:
    if isinstance(exc, TransferCancelled):
        return EXIT_INTERRUPTED
    if isinstance(exc, CannotReachServer):
        return EXIT_UNREACHABLE
    if isinstance(exc, NotAuthorized | CredentialsError):
        return EXIT_UNAUTHORIZED
    if isinstance(exc, ServerRefused):
        return EXIT_REFUSED
    if isinstance(exc, PackingError):
        return EXIT_PACKING
    return EXIT_FAILED


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/hearth/cli.json`: the farm of the last login (never a token)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hearth" / "cli.json"


def saved_server() -> str | None:
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    server = data.get("server") if isinstance(data, dict) else None
    return str(server) if server else None


def save_server(server: str | None) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"server": server}) + "\n", encoding="utf-8")


@dataclass
class Output:
    """Results go to stdout (JSON with --json); everything meant for a human goes to stderr with --json."""

    json_mode: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    @property
    def human(self) -> TextIO:
        return self.stderr if self.json_mode else self.stdout

    def say(self, text: str) -> None:
        print(text, file=self.human, flush=True)

    def note(self, text: str) -> None:
        """Progress and warnings: always stderr, so stdout stays the command's result."""
        print(text, file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        print(f"hearth: {text}", file=self.stderr, flush=True)

    def result(self, data: Any, text: str | None = None) -> None:
        if self.json_mode:
            print(json.dumps(data, default=str), file=self.stdout, flush=True)
        elif text is not None:
            print(text, file=self.stdout, flush=True)

    @property
    def interactive(self) -> bool:
        return self.stderr.isatty()


class Context:
    """The parsed arguments plus lazily built connections."""

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self._farm: FarmClient | None = None
        self._s3: Any = None

    def server(self, explicit: str | None = None) -> str:
        server = explicit or self.args.server or os.environ.get("HEARTH_SERVER") or saved_server()
        if not server:
            raise NotAuthorized(
                "no farm chosen: log in with `hearth login URL`, or pass --server / set HEARTH_SERVER"
            )
        return normalize_url(server)

    def token(self, server: str) -> str:
        token = self.args.token or os.environ.get("HEARTH_TOKEN") or load_token(server)
        if not token:
            raise NotAuthorized(
                f"no token for {server}: log in with `hearth login {server}`, "
                "or pass --token / set HEARTH_TOKEN"
            )
        return str(token)

    def tls(self) -> TlsOptions:
        """Which CAs to trust: --ca-bundle > $HEARTH_CA_BUNDLE > the system's."""
        bundle = getattr(self.args, "ca_bundle", None) or os.environ.get("HEARTH_CA_BUNDLE")
        if not bundle:
            return TlsOptions()
        path = Path(bundle).expanduser()
        if not path.is_file():
            raise UsageError(
                f"the CA bundle {bundle} is not a file; pass the farm's CA certificate (PEM) "
                "with --ca-bundle or HEARTH_CA_BUNDLE"
            )
        return TlsOptions(verify=str(path.absolute()))

    def farm(self) -> FarmClient:
        if self._farm is None:
            server = self.server()
            self._farm = FarmClient(server, self.token(server), tls=self.tls(), retries=2)
        return self._farm

    def s3(self, workers: int = 16) -> Any:
        if self._s3 is None:
            access = StorageAccess.from_farm(self.farm(), self.tls())
            self._s3 = s3_client(access, max_pool_connections=max(10, workers + 4))
        return self._s3
