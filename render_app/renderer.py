"""What the local farm's nodes render with (bpy or Blender), and what to do when nothing is there."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Mapping

from render_app.bundle_dispatch import BPY_PYTHON_ENV

NO_BLENDER = (
    "The local farm cannot render: Blender was not found. Install Blender and put `blender` on PATH, "
    f"or set {BPY_PYTHON_ENV} to a Python that has the bpy module (pip install bpy), then restart Hearth."
)
NO_BPY = (
    "The local farm cannot render: this Python ({python}) has no bpy module. "
    "Install it (pip install -e '.[node]', or pip install bpy), then restart Hearth."
)


def renderer_problem(*, frozen: bool | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """None when local nodes can render; otherwise a message saying what to do. Only looks at files."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    environ = os.environ if environ is None else environ
    if not frozen:
        # From source, local nodes run the bpy module under this very interpreter.
        return None if importlib.util.find_spec("bpy") is not None else NO_BPY.format(python=sys.executable)
    # A bundle has no bpy: its nodes hand frames to HEARTH_BPY_PYTHON, or else to `blender` on PATH.
    python = environ.get(BPY_PYTHON_ENV)
    if python:
        if os.path.isfile(python) and os.access(python, os.X_OK):
            return None
        return (
            f"The local farm cannot render: {BPY_PYTHON_ENV} is set to {python}, which is not an "
            "executable. Point it to a Python that has the bpy module, or unset it and put `blender` on PATH."
        )
    return None if shutil.which("blender") is not None else NO_BLENDER
