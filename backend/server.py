"""FarmServer: binds the listening sockets, builds the context and serves the app with uvicorn.

With a client CA (mTLS), heater nodes get a listener of their own that demands a client
certificate during the TLS handshake; node routes are refused on the public listener. With TLS on,
the local nodes get a loopback mTLS listener of their own, under a CA minted for this run.
"""

from __future__ import annotations

import json
import signal
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
from backend.local_tls import LOOPBACK, LocalNodeTls

READY_MARKER = "HEARTH_READY"
STOP_TIMEOUT_S = 10.0
LISTEN_BACKLOG = 2048
GRACEFUL_SHUTDOWN_S = 5


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class _Listener:
    """One socket served by one uvicorn server on its own thread."""

    def __init__(self, sock: socket.socket, config: uvicorn.Config, name: str) -> None:
        self.socket = sock
        self.port: int = sock.getsockname()[1]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> None:
        self.socket.listen(LISTEN_BACKLOG)
        self.thread.start()
        started = threading.Event()
        while not self.server.started and self.thread.is_alive():
            started.wait(0.01)
        if not self.server.started:
            raise RuntimeError(f"the {self.thread.name} listener stopped before it started serving")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(STOP_TIMEOUT_S)
        self.socket.close()


class FarmServer:
    """One farm process: API and storage on one socket, plus a node socket when mTLS is on."""

    def __init__(self, settings: Settings) -> None:
        if settings.client_ca and not settings.tls_cert:
            raise ValueError("--client-ca (mTLS for nodes) needs --tls-cert and --tls-key too")
        self.settings = settings
        main_socket = _bind(settings.host, settings.port)
        node_socket = _bind(settings.host, settings.node_port) if settings.client_ca else None
        local_tls = None
        if settings.tls_cert and settings.local_nodes > 0:
            local_tls = LocalNodeTls(settings.data_dir / "local-nodes-tls")
        local_socket = _bind(LOOPBACK, 0) if local_tls else None
        self.port: int = main_socket.getsockname()[1]
        self.ctx: FarmContext = build_context(settings)
        self.ctx.base_url = settings.base_url(self.port)
        self.ctx.node_url = self.ctx.base_url
        node_ports: set[int] = set()
        if node_socket is not None:
            self.ctx.node_url = settings.base_url(node_socket.getsockname()[1], public=False)
            node_ports.add(node_socket.getsockname()[1])
        local_url = self.ctx.node_url
        if local_socket is not None:
            local_url = f"https://{LOOPBACK}:{local_socket.getsockname()[1]}"
            if settings.client_ca:
                node_ports.add(local_socket.getsockname()[1])
        self.ctx.node_ports = frozenset(node_ports)
        self.local_credentials = ensure_local_account(self.ctx)
        app = create_app(self.ctx)
        self._listeners = [_Listener(main_socket, self._config(app, self._server_tls()), "farm-api")]
        if node_socket is not None and settings.client_ca:
            tls = self._server_tls() | self._client_tls(settings.client_ca)
            self._listeners.append(_Listener(node_socket, self._config(app, tls), "farm-nodes"))
        if local_socket is not None and local_tls is not None:
            tls = {"ssl_certfile": str(local_tls.server_cert), "ssl_keyfile": str(local_tls.server_key)}
            tls |= self._client_tls(local_tls.ca_path)
            self._listeners.append(_Listener(local_socket, self._config(app, tls), "farm-local-nodes"))
        self.housekeeping = Housekeeping(self.ctx)
        self.local_nodes = LocalNodes(self.ctx, settings.local_nodes, local_url, tls=local_tls)

    @property
    def base_url(self) -> str:
        return self.ctx.base_url

    def _server_tls(self) -> dict[str, object]:
        s = self.settings
        if not s.tls_cert:
            return {}
        return {"ssl_certfile": str(s.tls_cert), "ssl_keyfile": str(s.tls_key) if s.tls_key else None}

    @staticmethod
    def _client_tls(client_ca: object) -> dict[str, object]:
        # The handshake itself refuses a node without a certificate signed by this CA.
        return {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}

    @staticmethod
    def _config(app: object, tls: dict[str, object]) -> uvicorn.Config:
        return uvicorn.Config(
            app,  # type: ignore[arg-type]
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            lifespan="off",
            **tls,  # type: ignore[arg-type]
        )

    def announce(self) -> None:
        """Tells a parent process (tests, the desktop app) where the farm listens."""
        ready = {
            "url": self.base_url,
            "storage": self.ctx.storage_url,
            "nodes": self.ctx.node_url,
            "credentials": str(self.local_credentials) if self.local_credentials else None,
        }
        print(f"{READY_MARKER} {json.dumps(ready)}", flush=True)

    def start(self) -> None:
        for listener in self._listeners:
            listener.start()
        self.housekeeping.start()
        # Nodes connect as soon as they start; the listening sockets already accept them.
        self.local_nodes.start()

    def stop(self) -> None:
        self.ctx.shutting_down.set()
        self.ctx.events.notify()
        self.local_nodes.stop()
        self.housekeeping.stop()
        for listener in self._listeners:
            listener.stop()
        self.ctx.close()

    def request_stop(self) -> None:
        """Asks every listener to finish its requests and exit (safe from a signal handler)."""
        self.ctx.shutting_down.set()
        self.ctx.events.notify()
        for listener in self._listeners:
            listener.server.should_exit = True

    def wait(self) -> None:
        """Blocks until a listener stops (a signal asked uvicorn to exit)."""
        main = self._listeners[0]
        while main.thread.is_alive():
            main.thread.join(1.0)


def run_foreground(settings: Settings) -> int:
    server = FarmServer(settings)

    def on_signal(signum: int, _frame: object) -> None:
        server.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    server.announce()
    print(f"Hearth farm serving at {server.base_url} (storage {server.ctx.storage_url})", file=sys.stderr)
    server.wait()
    server.stop()
    return 0
