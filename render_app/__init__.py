"""Hearth desktop app (PySide6)."""
