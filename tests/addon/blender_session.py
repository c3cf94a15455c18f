"""Runs a script in a fresh bpy process with the built Hearth extension installed in an isolated user dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SESSION_TIMEOUT_S = 240.0
RESULT_MARKER = "HEARTH_TEST_RESULT "

# Prepended to every session script: install and enable the extension zip like "Install from Disk".
PRELUDE = r"""
import json, os, sys, tempfile, time
import bpy
CFG = json.loads(sys.argv[1])

# A clean Blender has only its own modules: hide the venv's site-packages (and the editable install of this
# repository) so every add-on dependency must come from the extension's wheels. bpy's own compiled deps stay.
def _hide_venv():
    import sysconfig
    site = sysconfig.get_paths()["purelib"]
    keep = tempfile.mkdtemp(prefix="bpy-only-")
    for name in os.listdir(site):
        if name.split("-")[0].split(".")[0].lower() in ("bpy", "numpy", "zstandard", "cython", "pyximport"):
            os.symlink(os.path.join(site, name), os.path.join(keep, name))
    sys.path[:] = [keep if p == site else p for p in sys.path if not p.startswith("__editable__")]
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "__editable__" not in getattr(h, "__module__", "")]
    sys.path_importer_cache.clear()
    def hidden(module):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(site + os.sep):
            return False
        return not os.path.exists(os.path.join(keep, os.path.relpath(path, site).split(os.sep)[0]))
    # .pth hooks aside, nothing but bpy's own dependencies may have been imported from the venv.
    leaked = sorted(n for n, m in list(sys.modules.items())
                    if not n.startswith(("__editable__", "_distutils_hack")) and hidden(m))
    assert not leaked, f"loaded from the venv before the extension was installed: {leaked}"
_hide_venv()
_t = time.perf_counter()
bpy.ops.extensions.package_install_files(filepath=CFG["zip"], repo="user_default", enable_on_install=True)
INSTALL_S = time.perf_counter() - _t
assert "bl_ext.user_default.hearth" in bpy.context.preferences.addons, "the extension did not enable"

def result(**data):
    print("HEARTH_TEST_RESULT " + json.dumps(data), flush=True)
"""


def run_session(script: str, cfg: dict[str, Any], user_dir: Path, **env: str) -> dict[str, Any]:
    """Runs PRELUDE + script; returns the JSON the script passed to result(), or raises with the log."""
    user_dir.mkdir(parents=True, exist_ok=True)
    environ = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HEARTH_SERVER", "HEARTH_TOKEN")
    }
    environ.update(BLENDER_USER_RESOURCES=str(user_dir / "blender"), **env)
    # cwd outside the repository: render_client must come from the extension's wheel, not the checkout.
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, json.dumps(cfg)],
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT_S,
        cwd=user_dir,
        env=environ,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            data: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            data["log"] = proc.stdout[-4000:] + proc.stderr[-4000:]
            return data
    raise AssertionError(
        f"bpy session failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
