"""EventStream: the farm's /events as an iterator, reconnecting with Last-Event-ID so nothing is missed."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from render_client.api import TlsOptions
from render_client.errors import CannotReachServer, NotAuthorized

READ_TIMEOUT_S = 45.0  # longer than the server's 15 s keep-alive comments
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 10.0


@dataclass(frozen=True)
class FarmEvent:
    id: int
    kind: str
    task: str | None
    data: dict[str, Any]


def parse_stream(lines: Iterator[str]) -> Iterator[FarmEvent]:
    """Turns SSE lines into events; comments and retry hints are skipped."""
    event_id: int | None = None
    kind = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data and event_id is not None:
                payload = json.loads("\n".join(data))
                yield FarmEvent(event_id, kind, payload.get("task"), payload)
            event_id, kind, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            event_id = int(value)
        elif field == "event":
            kind = value
        elif field == "data":
            data.append(value)


def _shutdown(response: requests.Response) -> None:
    """Unblocks a reader waiting on the socket; closing the response alone waits for the next byte."""
    with contextlib.suppress(Exception):
        sock: Any = response.raw._fp.fp.raw._sock  # type: ignore[union-attr]
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


class EventStream:
    """Iterate it (blocking) or `start(callback)` it on a thread; `close()` stops both."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        last_event_id: int | None = None,
        tls: TlsOptions | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self._url = server.rstrip("/") + "/events"
        self._token = token
        self.last_event_id = last_event_id
        self._tls = tls or TlsOptions()
        self._session = session or requests.Session()
        self._closed = threading.Event()
        self._response: requests.Response | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def __iter__(self) -> Iterator[FarmEvent]:
        delay = RECONNECT_MIN_S
        while not self._closed.is_set():
            headers = {"Authorization": self._token, "Accept": "text/event-stream"}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = str(self.last_event_id)
            try:
                with self._session.get(
                    self._url, headers=headers, stream=True, timeout=(10, READ_TIMEOUT_S),
                    verify=self._tls.verify, cert=self._tls.client_cert,
                ) as response:  # fmt: skip
                    if response.status_code == 401:
                        raise NotAuthorized(
                            "the farm did not accept your token for live events; log in again"
                        )
                    response.raise_for_status()
                    self._response = response
                    self.connected.set()
                    delay = RECONNECT_MIN_S
                    for event in parse_stream(self._lines_until_closed(response)):
                        self.last_event_id = event.id
                        yield event
                        if self._closed.is_set():
                            return
            except (
                requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidURL,
            ) as exc:
                raise CannotReachServer(
                    f"{self._url} is not a farm URL; use http://host:port (or https://host:port)"
                ) from exc
            except (requests.RequestException, AttributeError):
                # RequestException: refused, timed out, HTTP error, or a stream cut mid-chunk
                # (ChunkedEncodingError); all are worth a reconnect from the last event seen.
                # AttributeError: requests raises it when close() shuts the socket under a read.
                pass
            finally:
                self.connected.clear()
                self._response = None
            if self._closed.wait(delay):
                return
            delay = min(RECONNECT_MAX_S, delay * 2)

    def _lines_until_closed(self, response: requests.Response) -> Iterator[str]:
        # Keep-alive comments arrive every 15 s, so a stream closed before it connected still ends soon.
        for line in response.iter_lines(decode_unicode=True):
            if self._closed.is_set():
                return
            yield line

    def start(
        self, on_event: Callable[[FarmEvent], None], on_error: Callable[[Exception], None] | None = None
    ) -> None:
        def run() -> None:
            try:
                for event in self:
                    on_event(event)
            except Exception as exc:  # handed to the caller's thread-safe error callback
                if on_error is not None:
                    on_error(exc)

        self._thread = threading.Thread(target=run, name="hearth-events", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        response = self._response
        if response is not None:
            _shutdown(response)
        if (
            self.connected.is_set()
            and self._thread is not None
            and self._thread is not threading.current_thread()
        ):
            self._thread.join(5)
