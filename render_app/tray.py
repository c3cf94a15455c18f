"""Tray notifications when a task finishes or fails (only where the platform has a system tray)."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget


class Tray:
    def __init__(self, icon: QIcon, parent: QWidget) -> None:
        self.icon: QSystemTrayIcon | None = None
        self.messages: list[str] = []  # kept so tests and the status bar can see what was said
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(icon, parent)
            self.icon.setToolTip("Hearth")
            self.icon.show()

    def notify(self, title: str, message: str, failed: bool = False) -> None:
        self.messages.append(f"{title}: {message}")
        if self.icon is not None:
            kind = QSystemTrayIcon.MessageIcon.Warning if failed else QSystemTrayIcon.MessageIcon.Information
            self.icon.showMessage(title, message, kind, 8000)
