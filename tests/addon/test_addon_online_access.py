"""Submitting respects Blender's online access: the preference interactively, `--offline-mode` everywhere."""

from __future__ import annotations

from pathlib import Path

from tests.addon.blender_session import run_session

# (background, online_access_override, online_access) -> refused?
CASES = {
    "script, no flag": ((True, False, False), False),
    "script, --offline-mode": ((True, True, False), True),
    "script, --online-mode": ((True, True, True), False),
    "interactive, access off": ((False, False, False), True),
    "interactive, access on": ((False, False, True), False),
    "interactive, --offline-mode": ((False, True, False), True),
}

_REFUSALS = r"""
from types import SimpleNamespace
from bl_ext.user_default.hearth import operators
real = operators.bpy
refusals = {}
try:
    for name, (background, override, online) in CFG["cases"].items():
        operators.bpy = SimpleNamespace(
            app=SimpleNamespace(background=background, online_access_override=override, online_access=online)
        )
        refusals[name] = operators.online_refusal()
finally:
    operators.bpy = real
real_app = {"override": bpy.app.online_access_override, "online": bpy.app.online_access}
result(refusals=refusals, real_app=real_app, real=operators.online_refusal())
"""


def test_offline_mode_refuses_even_in_background(tmp_path: Path, addon_zip: Path) -> None:
    cases = {name: flags for name, (flags, _) in CASES.items()}
    out = run_session(_REFUSALS, {"zip": str(addon_zip), "cases": cases}, tmp_path / "session")
    refused = {name: text is not None for name, text in out["refusals"].items()}
    assert refused == {name: expected for name, (_, expected) in CASES.items()}
    assert "--offline-mode" in out["refusals"]["script, --offline-mode"]
    assert "Allow Online Access" in out["refusals"]["interactive, access off"]
    # bpy 5.0.1 has both attributes; the module parses no command line, so nothing overrides there.
    assert out["real_app"] == {"override": False, "online": False} and out["real"] is None
