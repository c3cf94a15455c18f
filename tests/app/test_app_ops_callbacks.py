"""Ops runs work off the GUI thread and delivers results and errors on the GUI thread."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from render_app.ops import Ops


def test_callbacks_arrive_on_the_gui_thread(qtbot: Any) -> None:
    ops = Ops()
    gui = QApplication.instance().thread()  # type: ignore[union-attr]
    seen: dict[str, Any] = {}

    def done(value: str) -> None:
        seen["done"] = (value, QThread.currentThread() is gui)

    def failed(exc: Exception) -> None:
        seen["failed"] = (str(exc), QThread.currentThread() is gui)

    def boom() -> None:
        raise RuntimeError("farm unreachable")

    ops.run(lambda: threading.current_thread().name, done)
    ops.run(boom, None, failed)
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    name, on_gui = seen["done"]
    assert on_gui and name != threading.main_thread().name
    assert seen["failed"] == ("farm unreachable", True)
    ops.shutdown()
