"""scripts/build_addon.py refuses a bundle whose wheels need something it does not hold."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_addon", ROOT / "scripts" / "build_addon.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_addon", module)
    spec.loader.exec_module(module)
    return module


build_addon = load_build_script()


def wheel(folder: Path, name: str, version: str, *requires: str) -> Path:
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name.replace('-', '_')}-{version}.dist-info/METADATA", "\n".join(lines) + "\n")
    return path


def test_platform_and_python_markers_are_evaluated_for_every_target(tmp_path: Path) -> None:
    wheels = [
        wheel(
            tmp_path,
            "keyring",
            "25.7.0",
            'pywin32-ctypes>=0.2.0; sys_platform == "win32"',
            'jeepney>=0.4.2; sys_platform == "linux"',
            'importlib_metadata>=4.11.4; python_version < "3.12"',
            'backports.tarfile; python_version < "3.10"',
            'pytest; extra == "test"',
            'SecretStorage>=3.2; sys_platform == "linux"',
        ),
        wheel(tmp_path, "importlib_metadata", "10.2.0", 'lazy-importer>=0.1; python_version < "3.15"'),
        wheel(tmp_path, "jeepney", "0.4.0"),
    ]
    problems = build_addon.unmet_requirements(wheels)
    assert len(problems) == 3, problems
    assert "pywin32-ctypes" in problems[0] and "on win32: not bundled" in problems[0]
    assert "jeepney>=0.4.2" in problems[1] and "the bundle has jeepney 0.4.0" in problems[1]
    assert "lazy-importer" in problems[2] and "linux/win32/darwin" in problems[2]


def test_a_complete_bundle_passes_and_an_incomplete_one_stops_the_build(tmp_path: Path) -> None:
    complete = [
        wheel(
            tmp_path,
            "importlib_metadata",
            "10.2.0",
            "zipp>=3.20",
            'lazy-importer>=0.1; python_version < "3.15"',
        ),
        wheel(tmp_path, "zipp", "4.1.2"),
        wheel(tmp_path, "lazy-importer", "0.1.0"),
    ]
    build_addon.check_requirements(complete)
    with pytest.raises(SystemExit, match=r"incomplete(.|\n)*requires 'lazy-importer"):
        build_addon.check_requirements(complete[:2])


def test_the_manifest_wheels_are_complete() -> None:
    wheels_dir = ROOT / "build" / "addon" / "wheels"
    names = build_addon.wheel_names()
    if not all((wheels_dir / n).is_file() for n in names):
        pytest.skip("wheels not downloaded yet (make addon)")
    assert build_addon.unmet_requirements([wheels_dir / n for n in names]) == []
