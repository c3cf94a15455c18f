"""The app's dark theme: a Fusion palette plus a short style sheet."""

from __future__ import annotations

import gc
import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

GIL_SWITCH_INTERVAL_S = 0.001
STYLE_SHEET = """
QMainWindow, QDialog { background: #15171b; }
QGroupBox { border: 1px solid #2c3038; border-radius: 8px; margin-top: 14px; padding: 8px; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; color: #f59e0b; }
QLabel#welcomeTitle { font-size: 26px; font-weight: 600; color: #f59e0b; }
QLabel#welcomeSubtitle { color: #9ca3af; }
QFrame#dropZone { border: 2px dashed #4b5563; border-radius: 10px; color: #9ca3af; }
QFrame#dropZone[hover="true"] { border-color: #f59e0b; }
QFrame[card="true"] { background: #1e2126; border-radius: 10px; }
QPushButton { padding: 5px 12px; border-radius: 5px; background: #2c3038; border: 1px solid #3a3f47; }
QPushButton:hover { background: #353a43; }
QPushButton:disabled { color: #6b7280; }
QPushButton[accent="true"], QPushButton:default { background: #c2410c; border-color: #ea580c; color: white; }
QLabel[error="true"] { color: #f87171; }
QProgressBar { border: 1px solid #3a3f47; border-radius: 4px; text-align: center; background: #1e2126; }
QProgressBar::chunk { background: #ea580c; border-radius: 3px; }
QHeaderView::section { background: #1e2126; padding: 4px; border: none; color: #9ca3af; }
QStatusBar QLabel { padding: 0 8px; }
QTableView#taskList { selection-background-color: #374151; selection-color: #ffffff; }
"""


def configure_gil() -> None:
    """Background threads hand the GIL back every 1 ms (default 5), so the GUI thread waits less."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def freeze_startup_heap() -> None:
    """Objects built at startup live until exit: keep them out of full GC passes, which stop every thread."""
    gc.collect()
    gc.freeze()


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#15171b",
        QPalette.ColorRole.WindowText: "#e5e7eb",
        QPalette.ColorRole.Base: "#1b1e23",
        QPalette.ColorRole.AlternateBase: "#20242a",
        QPalette.ColorRole.Text: "#e5e7eb",
        QPalette.ColorRole.Button: "#2c3038",
        QPalette.ColorRole.ButtonText: "#e5e7eb",
        QPalette.ColorRole.Highlight: "#c2410c",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2c3038",
        QPalette.ColorRole.ToolTipText: "#e5e7eb",
        QPalette.ColorRole.PlaceholderText: "#6b7280",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
