"""`hearth-app --farm-server ...`: the bundle's stand-in for `python -m backend.cli`, run only in a child."""

from __future__ import annotations

import importlib


def run_farm_server(argv: list[str]) -> int:
    # Imported by name so the GUI never links the backend: this runs only in the child process that
    # LocalFarm starts by re-executing the frozen app (a PyInstaller bundle has no separate python).
    cli = importlib.import_module("backend.cli")
    return int(cli.server_main(argv))
