"""Profiles are package data: an installed server (wheel, PyInstaller bundle) finds them without the repo."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

from backend.config import default_profiles_dir
from backend.profiles import load_catalog

REPO = Path(__file__).resolve().parents[3]


def test_default_profiles_dir_is_found_through_importlib_resources() -> None:
    packaged = Path(str(resources.files("backend.profiles").joinpath("data")))
    assert default_profiles_dir() == packaged
    assert (packaged / "blender.json").is_file()
    assert "blender" in load_catalog(default_profiles_dir()).names()
    # The documented location still shows the same files.
    assert (REPO / "resources" / "profiles").resolve() == packaged.resolve()


def test_a_built_wheel_ships_the_profiles_and_finds_them_installed(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copy(REPO / "README.md", source)
    shutil.copytree(REPO / "backend", source / "backend", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "dist", "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = (source / "dist").glob("hearth-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "backend/profiles/data/blender.json" in archive.namelist()
        installed = tmp_path / "site"
        archive.extractall(installed)
    # A fresh interpreter importing the installed copy first (the repo is not on its path).
    probe = (
        "from backend.config import default_profiles_dir as d; "
        "print(d()); print(sorted(p.name for p in d().glob('*.json')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    where, names = result.stdout.splitlines()
    assert Path(where).is_relative_to(installed), where
    assert names == "['blender.json']"
