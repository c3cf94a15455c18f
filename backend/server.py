"""FarmServer: binds a socket, builds the context and serves the app with uvicorn."""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading

import uvicorn

from backend.app import create_app
from backend.config import Settings
from backend.context import FarmContext, build_context
from backend.housekeeping import Housekeeping
from backend.local_account import ensure_local_account
from backend.local_nodes import LocalNodes

READY_MARKER = "HEARTH_READY"
STOP_TIMEOUT_S = 10.0


class FarmServer:
    """One farm process: API and storage on one listening socket."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._socket = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((settings.host, settings.port))
        self.port: int = self._socket.getsockname()[1]
        self.ctx: FarmContext = build_context(settings)
        self.ctx.base_url = settings.base_url(self.port)
        self.local_credentials = ensure_local_account(self.ctx)
        self._server = uvicorn.Server(self._uvicorn_config())
        self._thread: threading.Thread | None = None
        self.housekeeping = Housekeeping(self.ctx)
        self.local_nodes = LocalNodes(self.ctx, settings.local_nodes, self.base_url)

    @property
    def base_url(self) -> str:
        return self.ctx.base_url

    def _uvicorn_config(self) -> uvicorn.Config:
        s = self.settings
        tls: dict[str, object] = {}
        if s.tls_cert:
            tls = {"ssl_certfile": str(s.tls_cert), "ssl_keyfile": str(s.tls_key) if s.tls_key else None}
            if s.client_ca:
                # Nodes must present a certificate signed by this CA; user clients may present none.
                tls |= {"ssl_ca_certs": str(s.client_ca), "ssl_cert_reqs": ssl.CERT_OPTIONAL}
        return uvicorn.Config(
            create_app(self.ctx),
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            lifespan="off",
            **tls,  # type: ignore[arg-type]
        )

    def announce(self) -> None:
        """Tells a parent process (tests, the desktop app) where the farm listens."""
        ready = {
            "url": self.base_url,
            "storage": self.ctx.storage_url,
            "credentials": str(self.local_credentials) if self.local_credentials else None,
        }
        print(f"{READY_MARKER} {json.dumps(ready)}", flush=True)

    def serve_forever(self) -> None:
        self._socket.listen(2048)
        self._start_chores()
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._stop_chores()

    def _start_chores(self) -> None:
        self.housekeeping.start()
        # Nodes connect as soon as they start; the listening socket already queues them.
        self.local_nodes.start()

    def _stop_chores(self) -> None:
        self.local_nodes.stop()
        self.housekeeping.stop()

    def start_in_thread(self) -> None:
        self._socket.listen(2048)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="farm-server", daemon=True
        )
        self._thread.start()
        started = threading.Event()

        def wait_started() -> None:
            while not self._server.started and self._thread is not None and self._thread.is_alive():
                started.wait(0.01)

        wait_started()
        if not self._server.started:
            raise RuntimeError("the farm server thread stopped before it started serving")
        self._start_chores()

    def stop(self) -> None:
        self._stop_chores()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
        self._socket.close()
        self.ctx.close()


def run_foreground(settings: Settings) -> int:
    server = FarmServer(settings)
    server.announce()
    print(f"Hearth farm serving at {server.base_url} (storage {server.ctx.storage_url})", file=sys.stderr)
    server.serve_forever()
    server.ctx.close()
    return 0
