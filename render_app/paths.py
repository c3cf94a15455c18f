"""Where bundled resources and per-user data live, in the source tree and in a PyInstaller bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) / "resources" if bundle else Path(__file__).resolve().parents[1] / "resources"


def demo_scene() -> Path:
    return resources_dir() / "demo_scene"


def data_dir() -> Path:
    """The app's own data (the local farm's data dir lives below it)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hearth" / "app"
