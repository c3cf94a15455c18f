"""The extension zip passes Blender's own manifest validation, our schema checks, and installs into bpy."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.addon.blender_session import run_session

REQUIRED = ("schema_version", "id", "version", "name", "tagline", "maintainer", "type", "blender_version_min")
SEMVER_RE = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # a Python identifier: Blender imports it as a module
VALIDATE_TIMEOUT_S = 60.0


def blender_ext_script() -> Path | None:
    """Blender's extension CLI (`blender --command extension validate` runs it); the bpy module ships it."""
    spec = importlib.util.find_spec("bpy")
    for folder in spec.submodule_search_locations or [] if spec else []:
        found = sorted(Path(folder).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1]
    return None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, object]:
    return tomllib.loads(archive.read("blender_manifest.toml").decode())


def test_blender_validates_the_zip(addon_zip: Path) -> None:
    script = blender_ext_script()
    if script is None:
        pytest.skip("neither a blender binary nor the bpy module's blender_ext.py is available")
    proc = subprocess.run(
        [sys.executable, str(script), "validate", str(addon_zip)],
        capture_output=True,
        text=True,
        timeout=VALIDATE_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_zip_layout_matches_the_manifest_schema(addon_zip: Path) -> None:
    with zipfile.ZipFile(addon_zip) as archive:
        names = set(archive.namelist())
        meta = read_manifest(archive)
    assert {field for field in REQUIRED if field not in meta} == set()
    assert meta["schema_version"] == "1.0.0"
    assert meta["id"] == "hearth" and ID_RE.match(str(meta["id"]))
    assert meta["type"] == "add-on"
    assert SEMVER_RE.match(str(meta["version"])) and SEMVER_RE.match(str(meta["blender_version_min"]))
    assert isinstance(meta["license"], list) and all(str(lic).startswith("SPDX:") for lic in meta["license"])
    permissions = meta["permissions"]
    assert isinstance(permissions, dict) and set(permissions) == {"network", "files"}
    assert all(isinstance(r, str) and 0 < len(r) <= 64 and not r.endswith(".") for r in permissions.values())
    wheels = meta["wheels"]
    assert isinstance(wheels, list) and wheels
    for wheel in wheels:
        assert str(wheel).startswith("./wheels/") and str(wheel).endswith("-none-any.whl"), wheel
        assert str(wheel)[2:] in names, f"{wheel} is listed but not in the zip"
    assert {n for n in names if n.startswith("wheels/")} == {str(w)[2:] for w in wheels}, "unlisted wheels"
    assert "__init__.py" in names and not any("__pycache__" in n for n in names)


_INSTALLED = r"""
import render_client
menu = [f.__name__ for f in bpy.types.TOPBAR_MT_render._dyn_ui_initialize()]
# No screen in background mode: draw the panel into a recording layout to catch Python errors.
from bl_ext.user_default.hearth import messages as m, panels
from bl_ext.user_default.hearth.runner import RUNNER
for message in (m.Status("Uploading"), m.Submitted("uuid", 3), m.TaskState("Running", 1, 3),
                m.FrameProgress(2, 0.5), m.Notice("a warning"), m.Carbon(("Saved: 1 g",))):
    RUNNER.state.apply(message)
class Layout:
    calls = []
    def __getattr__(self, name):
        def call(*args, **kwargs):
            Layout.calls.append(name)
            return self
        return call
panel = type("Panel", (), {"layout": Layout(), "draw_state": panels.RENDER_PT_hearth.draw_state})()
panels.RENDER_PT_hearth.draw(panel, bpy.context)
import addon_utils
registered = hasattr(bpy.types, "HEARTH_OT_submit") and hasattr(bpy.types, "RENDER_PT_hearth")
addon_utils.disable("bl_ext.user_default.hearth", default_set=True)
unregistered = not hasattr(bpy.types, "HEARTH_OT_submit") and not hasattr(bpy.types.Scene, "hearth")
menu_after = [f.__name__ for f in bpy.types.TOPBAR_MT_render._dyn_ui_initialize()]
result(install_s=INSTALL_S, registered=registered, unregistered=unregistered, menu_after=menu_after,
       menu=menu, client=render_client.__file__,
       online=bpy.app.online_access, background=bpy.app.background, drawn=Layout.calls)
"""


def test_bpy_installs_and_enables_the_zip(tmp_path: Path, addon_zip: Path) -> None:
    out = run_session(_INSTALLED, {"zip": str(addon_zip)}, tmp_path / "session")
    print(f"installed in {out['install_s']:.2f} s; bpy.app.online_access={out['online']}")
    assert out["registered"], out["log"]
    assert out["unregistered"] and "menu_entry" not in out["menu_after"], (
        "disabling must unregister everything"
    )
    assert "menu_entry" in out["menu"], "Render on Hearth… must be in the Render menu"
    assert "/extensions/.local/lib/" in out["client"]
    assert out["drawn"].count("progress") == 2 and "operator" in out["drawn"], out["drawn"]
