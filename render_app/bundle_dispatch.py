"""In a frozen bundle the executable stands in for `python`: child command lines are routed here."""

# The backend starts its children as `sys.executable -m backend.node ...` (local heater nodes) and
# `sys.executable worker.py -- spec.json` (the Blender worker). Frozen, sys.executable is hearth-app, so
# those reach main() and are dispatched: nodes run from the bundle; the worker needs bpy (800 MB, not
# bundled) and is handed to HEARTH_BPY_PYTHON (a python with bpy) or to a `blender` found on PATH.
from __future__ import annotations

import os
import runpy
import shutil
import sys

BPY_PYTHON_ENV = "HEARTH_BPY_PYTHON"


def is_python_command(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] == "-m" or argv[0].endswith(".py"))


def run_python_command(argv: list[str]) -> int:
    if argv[0] == "-m":
        # Imported by name, only in a child process: the GUI itself never runs backend code.
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script, rest = argv[0], argv[1:]
    python = os.environ.get(BPY_PYTHON_ENV)
    if python:
        os.execv(python, [python, script, *rest])
    blender = shutil.which("blender")
    if blender is None:
        print(
            f"hearth-app: rendering needs Blender: set {BPY_PYTHON_ENV} to a python with the bpy module, "
            "or put `blender` on PATH",
            file=sys.stderr,
        )
        return 2
    os.execv(blender, [blender, "-b", "--factory-startup", "--python", script, *rest])
    return 2  # not reached: execv replaces this process
