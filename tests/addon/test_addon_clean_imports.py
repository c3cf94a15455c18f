"""In a Blender whose only third-party modules are its own, every add-on dependency loads from the wheels."""

from __future__ import annotations

from pathlib import Path

from tests.addon.blender_session import run_session

BUNDLED = ("requests", "boto3", "botocore", "keyring", "blender_asset_tracer", "urllib3", "render_client")

_IMPORTS = r"""
import importlib
origins, errors = {}, {}
for name in CFG["modules"]:
    try:
        origins[name] = importlib.import_module(name).__file__
    except Exception as exc:
        errors[name] = f"{type(exc).__name__}: {exc}"
import keyring
result(origins=origins, errors=errors, backend=type(keyring.get_keyring()).__name__)
"""


def test_dependencies_load_from_the_extension_site_packages(tmp_path: Path, addon_zip: Path) -> None:
    out = run_session(_IMPORTS, {"zip": str(addon_zip), "modules": list(BUNDLED)}, tmp_path / "session")
    assert out["errors"] == {}, out["log"]
    elsewhere = {n: f for n, f in out["origins"].items() if "/extensions/.local/lib/" not in f}
    assert elsewhere == {}, "these did not come from the extension's wheels"
    print(f"keyring backend in a clean bpy: {out['backend']}")
