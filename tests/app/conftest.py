"""App test fixtures: an in-memory keyring, the real main window, and drag-and-drop simulation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from render_app.controller import Controller
from render_app.style import apply_theme, configure_gil
from render_app.widgets.main_window import MainWindow
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def window(qtbot, tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setOrganizationName("HearthTests")
    configure_gil()
    apply_theme(app)
    controller = Controller(tmp_path / "app-data")
    controller.output_dir = tmp_path / "renders"
    win = MainWindow(controller)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()  # stops the local farm, the event stream and the worker pool


def connect_local(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    win.start_local()
    qtbot.waitUntil(lambda: win.pages.currentIndex() == 1, timeout=90_000)


def drop_paths(  # type: ignore[no-untyped-def]
    qtbot, target: QWidget, paths: list[Path], *, signal: Any = None, expect: bool = True
) -> bool:
    """The drag-and-drop simulation of platform-notes §2: enter, then drop, on the real target.

    Qt hands the events on to the parents that accept drops; `signal` is the one the drop should emit
    (the target's `pathsDropped` by default). With `expect=False`, returns whether the enter was accepted.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(target.rect().center())
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    if not expect:
        return enter.isAccepted()
    assert enter.isAccepted()
    drop = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QEvent.Type.Drop,
    )
    with qtbot.waitSignal(signal or target.pathsDropped, timeout=5000):
        QApplication.sendEvent(target, drop)
    return True
