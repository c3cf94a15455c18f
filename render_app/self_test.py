"""`hearth-app --self-test`: offscreen, start a local farm, render one tiny frame, exit 0 on success."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from render_app.paths import demo_scene
from render_app.renderer import renderer_problem
from render_app.session import Session
from render_app.widgets.main_window import MainWindow
from render_client.submit import RenderSettings

SELF_TEST_TIMEOUT_MS = 240_000


class SelfTest:
    def __init__(self, app: QApplication, window: MainWindow) -> None:
        self.app = app
        self.window = window
        self.code = 1
        self.key = ""
        self.syncing = False
        c = window.controller
        c.connected.connect(self._connected)
        c.scenes.changed.connect(self._scene_changed)
        c.task_finished.connect(self._finished)
        c.error.connect(lambda msg: self._say(f"error: {msg}"))
        self.deadline = QTimer(window)
        self.deadline.setSingleShot(True)
        self.deadline.timeout.connect(lambda: self._done(1, "timed out"))
        self.deadline.start(SELF_TEST_TIMEOUT_MS)

    def _say(self, text: str) -> None:
        print(f"self-test: {text}", file=sys.stderr, flush=True)

    def start(self) -> None:
        problem = renderer_problem()
        if problem:
            self._done(1, problem)  # fail fast: every frame would fail the same way
            return
        self._say("starting a local farm with one node")
        self.window.controller.start_local_farm(nodes=1)

    def _connected(self, session: Session) -> None:
        self._say(f"connected to {session.url}")
        self.key = self.window.controller.scenes.open(Path(demo_scene()))

    def _scene_changed(self, key: str) -> None:
        scene = self.window.controller.scenes.scenes[key]
        if key != self.key or scene.report is None:
            return
        if scene.sync_state == "Not synced" and not self.syncing:
            self.syncing = True
            self._say(f"scene traced: {len(scene.report.files)} files; syncing (sync worker process)")
            self.window.controller.scenes.sync(key, then=lambda: self._submit(key))
        elif scene.sync_state == "Failed":
            self._done(1, f"sync failed: {scene.error}")

    def _submit(self, key: str) -> None:
        self._say("synced; submitting frame 1")
        tiny = RenderSettings(frames="1", name="self-test", samples=2, resolution_percent=50)
        self.window.controller.submit(key, tiny)

    def _finished(self, uuid: str, state: str) -> None:
        self._done(0 if state == "Success" else 1, f"task {uuid} ended {state}")

    def _done(self, code: int, why: str) -> None:
        self.deadline.stop()
        self._say(why)
        self.code = code
        self.window.close()
        self.app.exit(code)


def run(app: QApplication, window: MainWindow) -> int:
    test = SelfTest(app, window)
    QTimer.singleShot(0, test.start)
    code = app.exec()
    return test.code if code == 0 else code
