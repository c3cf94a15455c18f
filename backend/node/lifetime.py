"""die_with_parent: a child process that must not outlive the process that started it (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals) -> Callable[[], None]:
    """A preexec function: the kernel sends `sig` to the child when its parent dies.

    Off Linux there is no libc.so.6 and nothing happens. The death signal fires when the forking
    *thread* ends, so start such children from a thread that lives as long as they should.
    """
    parent = os.getpid()

    def preexec() -> None:
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:
            # The parent died between fork and prctl: the signal will never come.
            os.kill(os.getpid(), sig)

    return preexec
