"""`hearth local-farm`: runs `hearth-server serve` as a child process and logs in to it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from render_client.cli_support import EXIT_INTERRUPTED, EXIT_OK, Context, save_server
from render_client.credentials import store_token
from render_client.errors import CannotReachServer, HearthError

READY_MARKER = "HEARTH_READY"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def server_command(ctx: Context) -> list[str]:
    # A command, not an import: render_client must not depend on the backend package.
    cmd = [sys.executable, "-m", "backend.cli", "serve"]
    a = ctx.args
    if a.data_dir:
        cmd += ["--data-dir", str(Path(a.data_dir).absolute())]
    if a.port is not None:
        cmd += ["--port", str(a.port)]
    if a.nodes is not None:
        cmd += ["--nodes", str(a.nodes)]
    return cmd


def _wait_ready(process: subprocess.Popen[str], ctx: Context) -> dict[str, Any]:
    """Reads the child's stdout until its ready line; later lines are passed on to our stderr."""
    ready: dict[str, Any] = {}
    found = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_MARKER) and not found.is_set():
                ready.update(json.loads(line[len(READY_MARKER) :]))
                found.set()
            else:
                ctx.out.stderr.write(line)
        found.set()  # the child exited before it was ready

    threading.Thread(target=pump, name="hearth-local-farm-stdout", daemon=True).start()
    found.wait(READY_TIMEOUT_S)
    if not ready:
        raise CannotReachServer(
            "the local farm did not start; its messages are above. "
            "Check that the port is free and the data directory is writable."
        )
    return ready


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)


def run_local_farm(ctx: Context) -> int:
    process = subprocess.Popen(server_command(ctx), stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        ready = _wait_ready(process, ctx)
        url = str(ready["url"])
        creds_path = ready.get("credentials")
        info: dict[str, Any] = {"url": url, "storage": ready.get("storage"), "credentials": creds_path}
        if creds_path:
            creds = json.loads(Path(creds_path).read_text(encoding="utf-8"))
            stored = store_token(url, str(creds["token"]))
            save_server(url)
            info |= {"email": creds.get("email"), "stored": stored.location}
            ctx.out.say(
                f"Local farm running at {url}; logged in as {creds.get('email')} (credentials {creds_path})."
            )
            if stored.warning:
                ctx.out.note(f"Warning: {stored.warning}")
        else:
            ctx.out.say(f"Local farm running at {url}; it already had accounts: `hearth login {url}`.")
        ctx.out.result(info)
        ctx.out.note("Press Ctrl-C to stop it.")
        code = process.wait()
        if code != 0:
            raise HearthError(f"the local farm stopped with exit code {code}; its messages are above")
        return EXIT_OK
    except KeyboardInterrupt:
        ctx.out.note("stopping the local farm...")
        _stop(process)
        return EXIT_INTERRUPTED
    finally:
        _stop(process)
