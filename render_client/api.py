"""FarmClient: one method per farm endpoint, errors translated once into the render_client tree."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions

from render_client.errors import CannotReachServer, NotAuthorized, ServerRefused
from render_client.models import CarbonFacts, Node, Task

DEFAULT_TIMEOUT_S = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A POST that reached the server may have taken effect; only retry when it surely did not.
POST_RETRY_STATUSES = frozenset({429, 503})
DEFAULT_RETRIES = 4
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0
PAGE_SIZE = 100


@dataclass(frozen=True)
class TlsOptions:
    """`verify`: True (system CAs), False (no check: testing only), or a CA bundle path."""

    verify: bool | str = True
    client_cert: tuple[str, str] | None = None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or response.reason)
    return response.reason


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request surely never reached the server: refused, unresolvable, connect timeout."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)  # NewConnectionError included


def _translated(server: str, exc: requests.RequestException) -> CannotReachServer:
    """A requests failure that no retry can fix, as a message that says what to do next."""
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.MissingSchema):
        return CannotReachServer(
            f"{server} is not a farm URL; use http://host:port (or https://host:port), "
            "e.g. http://127.0.0.1:8080"
        )
    if isinstance(exc, requests.exceptions.InvalidURL):
        return CannotReachServer(f"{server} is not a valid farm URL ({exc}); use http://host:port")
    return CannotReachServer(
        f"talking to the farm at {server} failed ({exc.__class__.__name__}: {exc}); "
        "check the URL and that the server is running, then try again"
    )


class FarmClient:
    def __init__(
        self,
        server: str,
        token: str,
        *,
        tls: TlsOptions | None = None,
        session: requests.Session | None = None,
        retries: int = DEFAULT_RETRIES,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self._tls = tls or TlsOptions()
        self._session = session or requests.Session()
        self._retries = retries
        self._timeout_s = timeout_s
        self._sleep = sleep

    # -- transport ----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, expect_json: bool = True, **kwargs: Any) -> Any:
        """Sends one request with retries; returns parsed JSON (or the response when expect_json is False)."""
        url = f"{self.server}{path}"
        headers = {"Authorization": self.token, **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", self._timeout_s)
        retry_on = POST_RETRY_STATUSES if method.upper() == "POST" else RETRY_STATUSES
        attempt = 0
        while True:
            try:
                response = self._session.request(
                    method,
                    url,
                    headers=headers,
                    timeout=timeout,
                    verify=self._tls.verify,
                    cert=self._tls.client_cert,
                    **kwargs,
                )
            except requests.exceptions.SSLError as exc:
                raise CannotReachServer(
                    f"TLS with {self.server} failed ({exc.__class__.__name__}); "
                    "check the farm's CA certificate or its URL"
                ) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                # A POST may have reached the server (a read timeout, a dropped answer): sending it again
                # could submit a task twice, so it is retried only when no connection was ever made.
                if attempt >= self._retries or (method.upper() == "POST" and not _never_connected(exc)):
                    raise CannotReachServer(
                        f"cannot reach the farm at {self.server}; "
                        "check the URL and that the server is running"
                    ) from exc
                attempt += 1
                self._sleep(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt))
                continue
            except requests.RequestException as exc:
                raise _translated(self.server, exc) from exc
            if response.status_code in retry_on and attempt < self._retries:
                attempt += 1
                self._sleep(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt))
                continue
            return self._result(response, expect_json)

    def _result(self, response: requests.Response, expect_json: bool) -> Any:
        if response.status_code == 401:
            raise NotAuthorized("the farm did not accept your token; log in again (`hearth login`)")
        if response.status_code == 403:
            raise NotAuthorized(f"not allowed: {_message(response)}")
        if response.status_code >= 400:
            raise ServerRefused(_message(response), status=response.status_code)
        if not expect_json:
            return response
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServerRefused(
                f"the farm sent an unreadable answer to {response.request.method} {response.url}",
                status=response.status_code,
            ) from exc

    # -- farm ---------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "/settings")
        return result

    def storage_url(self) -> str:
        return str(self.settings()["storage"])

    def user_email(self) -> str:
        return str(self.request("GET", "/info")["email"])

    def profiles(self) -> list[str]:
        return [str(name) for name in self.request("GET", "/profiles")]

    def nodes(self) -> list[Node]:
        return [Node.from_json(n) for n in self.request("GET", "/nodes")]

    # -- tasks --------------------------------------------------------------------------------

    def submit(self, body: dict[str, Any]) -> Task:
        created = self.request("POST", "/tasks", json=body)
        return self.task(str(created["uuid"]))

    def task(self, uuid: str) -> Task:
        return Task.from_json(self.request("GET", f"/tasks/{uuid}"))

    def task_json(self, uuid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"/tasks/{uuid}")
        return result

    def tasks(self, page_size: int = PAGE_SIZE) -> Iterator[Task]:
        token: str | None = None
        while True:
            page = self.request(
                "POST",
                "/tasks/summaries/paginate",
                json={"filter": None, "token": token, "maximumResults": page_size},
            )
            for item in page["data"]:
                yield Task.from_json(item)
            token = page.get("nextToken")
            if not page.get("isTruncated") or not token:
                return

    def abort(self, uuid: str) -> None:
        self.request("POST", f"/tasks/{uuid}/abort")

    def delete(self, uuid: str) -> None:
        self.request("DELETE", f"/tasks/{uuid}")

    def stdout(self, uuid: str, *, fresh: bool = False) -> str:
        response = self.request("POST" if fresh else "GET", f"/tasks/{uuid}/stdout", expect_json=False)
        return str(response.text)

    def stderr(self, uuid: str, *, fresh: bool = False) -> str:
        response = self.request("POST" if fresh else "GET", f"/tasks/{uuid}/stderr", expect_json=False)
        return str(response.text)

    def carbon_facts(self, uuid: str, datacenter: str | None = None) -> CarbonFacts:
        params = {"comparisonDatacenter": datacenter} if datacenter else None
        return CarbonFacts.from_json(
            self.request("GET", f"/carbon/v1/tasks/{uuid}/carbon-facts", params=params)
        )

    def preview(self, uuid: str, frame: int) -> bytes:
        response = self.request("GET", f"/tasks/{uuid}/previews/{frame}", expect_json=False)
        return bytes(response.content)
