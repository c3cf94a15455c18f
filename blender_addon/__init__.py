"""Hearth render farm for Blender: register and unregister only."""

from __future__ import annotations

from . import operators, panels, preferences, runner, settings

_MODULES = (settings, preferences, operators, panels)


def register() -> None:
    for module in _MODULES:
        module.register()


def unregister() -> None:
    runner.unregister()
    for module in reversed(_MODULES):
        module.unregister()
