"""The farm's SSE stream on its own daemon thread, re-emitted as Qt signals on the GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from render_client.events import EventStream, FarmEvent


class EventBridge(QObject):
    """`farm_event(kind, task, data)` per farm event; one stream per session, no polling."""

    farm_event = Signal(str, str, dict)
    error = Signal(str)

    def __init__(self, url: str, token: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stream = EventStream(url, token)

    def start(self) -> None:
        # The stream thread only emits signals; Qt queues them to this object's (the GUI) thread.
        self._stream.start(self._forward, on_error=lambda exc: self.error.emit(str(exc)))

    def _forward(self, event: FarmEvent) -> None:
        data: dict[str, Any] = dict(event.data) if isinstance(event.data, dict) else {}
        self.farm_event.emit(event.kind, str(getattr(event, "task", "") or data.get("task", "")), data)

    def close(self) -> None:
        self._stream.close()
