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


def _build_dir_with_cached_wheels(tmp_path: Path) -> Path:
    build_dir = tmp_path / "build"
    (build_dir / "wheels").mkdir(parents=True)
    for name in build_addon.wheel_names():
        cached = ROOT / "build" / "addon" / "wheels" / name
        if not cached.is_file():
            pytest.skip("wheels not downloaded yet (make addon)")
        (build_dir / "wheels" / name).symlink_to(cached)
    return build_dir


def test_blenders_extension_build_makes_the_zip_reproducibly(tmp_path: Path) -> None:
    builder = build_addon.blender_builder()
    if builder is None:
        pytest.skip("neither a blender 4.2+ binary nor the bpy module's blender_ext.py is available")
    build_dir = _build_dir_with_cached_wheels(tmp_path)
    first = build_addon.build(build_dir, tmp_path / "a")
    second = build_addon.build(build_dir, tmp_path / "b")
    ours = build_addon.build(build_dir, tmp_path / "c", use_blender=False)
    assert first.read_bytes() == second.read_bytes(), "two builds of the same sources must be identical"
    with zipfile.ZipFile(first) as blenders, zipfile.ZipFile(ours) as own:
        # Blender's builder writes the manifest first and stores wheels uncompressed; our zip sorts by name.
        assert blenders.namelist()[0] == "blender_manifest.toml" != own.namelist()[0]
        assert sorted(blenders.namelist()) == sorted(own.namelist())
        stored = {i.filename for i in blenders.infolist() if i.compress_type == zipfile.ZIP_STORED}
        assert {n for n in blenders.namelist() if n.endswith(".whl")} <= stored


def test_a_zip_that_differs_from_its_source_is_refused(tmp_path: Path) -> None:
    files = {"__init__.py": b"x = 1\n", "wheels/a-1-py3-none-any.whl": b"wheel"}
    target = tmp_path / "x.zip"
    build_addon._write_zip(target, files)
    build_addon.validate_zip(target, files)
    with pytest.raises(SystemExit, match=r"missing \['README.md'\]"):
        build_addon.validate_zip(target, {**files, "README.md": b"readme"})
    with pytest.raises(SystemExit, match=r"different \['__init__.py'\]"):
        build_addon.validate_zip(target, {**files, "__init__.py": b"x = 2\n"})
