"""Every main control has an objectName and an accessibleName (a walk over the real widgets)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QWidget,
)

from render_app.state import NodeInfo
from render_app.widgets.main_window import MainWindow
from render_app.widgets.submit_dialog import SubmitDialog

CONTROLS = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
)
# Parts Qt builds inside composite widgets; their owner carries the names.
INTERNAL_PARENTS = (QAbstractSpinBox, QComboBox, QAbstractItemView)


def unnamed(root: QWidget) -> list[str]:
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, CONTROLS) or widget.objectName().startswith("qt_"):
            continue
        if widget.window() is not root.window():
            continue  # a popup or a dialog: walked on its own
        if isinstance(widget.parent(), INTERNAL_PARENTS) or type(widget).__name__ in ("QTabBar", "QMenu"):
            continue
        if type(widget).__name__ == "QToolButton":  # the tab bar's and scroll areas' own scroll arrows
            continue
        if not widget.objectName() or not widget.accessibleName():
            parent = widget.parent()
            missing.append(f"{type(widget).__name__} in {type(parent).__name__}({parent.objectName()!r})")
    return missing


def test_main_controls_have_object_and_accessible_names(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.controller.nodes.replace("attic-1", NodeInfo("attic-1", "idle", 12.0, 19.5, 20.0))
    dialog = SubmitDialog("/tmp/scene", "scene", window)
    qtbot.addWidget(dialog)
    missing = unnamed(window)
    assert missing == [], missing
    assert unnamed(dialog) == []
    for widget in (window, dialog, window.fleet_view, window.task_detail, window.scene_panel):
        assert widget.objectName() and widget.accessibleName()
