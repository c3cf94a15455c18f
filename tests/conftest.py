"""Test-wide settings: offscreen Qt, isolated user dirs, no leaked threads or processes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
LEAK_GRACE_S = 5.0


def _live_children() -> list[int]:
    """Child processes of this test process that are still running (zombies excluded)."""
    me = os.getpid()
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == me and fields[0] != "Z":
            children.append(int(entry.name))
    return children


def _live_threads(before: set[int]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon]


@pytest.fixture(autouse=True)
def no_leaked_threads_or_processes() -> Iterator[None]:
    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
    children_before = set(_live_children())
    yield
    deadline = time.monotonic() + LEAK_GRACE_S
    while True:
        threads = _live_threads(threads_before)
        children = [pid for pid in _live_children() if pid not in children_before]
        if not threads and not children:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling for the leak check's own deadline, not a test wait
    pytest.fail(f"test left running: threads {[t.name for t in threads]}, child processes {children}")


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeps tests away from the real user's config, cache and keyring files."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
