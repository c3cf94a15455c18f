"""Builds dist/hearth_blender-<version>.zip: the Blender extension with render_client and deps as wheels.

The add-on and its wheels are staged in build/addon/source and zipped by Blender's own `extension build`
(a `blender` 4.2+ binary, else the bpy module's blender_ext.py), then validated by it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = ROOT / "blender_addon"
CLIENT_DIR = ROOT / "render_client"
MANIFEST = ADDON_DIR / "blender_manifest.toml"
CLIENT_DIST = "hearth_render_client"
# Fixed timestamps keep the zip byte-identical between builds of the same sources.
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
BLENDER_TIMEOUT_S = 120.0
_WHEEL_RE = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-(?P<py>[^-]+)-none-any\.whl$")
# Blender 4.2-5.0 embed Python 3.11; one zip serves these platforms, so requirements are checked for each.
TARGET_PYTHON = "3.11"
TARGET_PLATFORMS = {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}
# Requirements left out on purpose, with the reason shown when the check runs.
DELIBERATELY_UNBUNDLED = {
    "secretstorage": "needs the compiled cryptography package; render_client.credentials reads the "
    "Secret Service through jeepney instead",
}


def manifest() -> dict[str, object]:
    with MANIFEST.open("rb") as stream:
        return tomllib.load(stream)


def wheel_names() -> list[str]:
    wheels = manifest().get("wheels", [])
    assert isinstance(wheels, list)
    return [Path(str(w)).name for w in wheels]


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def build_client_wheel(dest: Path, version: str) -> Path:
    """A py3-none-any wheel of just the render_client package, written by hand (no build backend needed)."""
    target = dest / f"{CLIENT_DIST}-{version}-py3-none-any.whl"
    info = f"{CLIENT_DIST}-{version}.dist-info"
    files: dict[str, bytes] = {
        f"render_client/{p.relative_to(CLIENT_DIR).as_posix()}": p.read_bytes()
        for p in sorted(CLIENT_DIR.rglob("*.py"))
    }
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {CLIENT_DIST}\nVersion: {version}\n"
        "Summary: Hearth client library (bundled in the Blender add-on)\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: hearth-build-addon\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    _write_zip(target, files)
    return target


def fetch_wheels(dest: Path, names: list[str]) -> None:
    """Downloads the third-party wheels the manifest lists, pure Python only; already present ones stay."""
    wanted = []
    for name in names:
        match = _WHEEL_RE.match(name)
        if match is None:
            raise SystemExit(f"{name}: only pure-Python (none-any) wheels may be bundled")
        if name.startswith(CLIENT_DIST + "-") or (dest / name).is_file():
            continue
        wanted.append(f"{match['name']}=={match['version']}")
    if wanted:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
        cmd += ["--platform", "any", "--python-version", "3.11", "--implementation", "py", "--abi", "none"]
        subprocess.run([*cmd, "--dest", str(dest), *wanted], check=True)
    absent = [n for n in names if not (dest / n).is_file()]
    if absent:
        raise SystemExit(f"these wheels listed in the manifest were not downloaded: {absent}")


def _wheel_metadata(path: Path) -> tuple[str, Version, list[str]]:
    """(canonical name, version, Requires-Dist lines) from a wheel's METADATA."""
    with zipfile.ZipFile(path) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(archive.read(meta_name).decode("utf-8"))
    return (
        canonicalize_name(headers["Name"]),
        Version(headers["Version"]),
        headers.get_all("Requires-Dist") or [],
    )


def _target_environments() -> list[dict[str, str]]:
    envs = []
    for platform, system in TARGET_PLATFORMS.items():
        env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
        env.update(
            sys_platform=platform,
            platform_system=system,
            os_name="nt" if platform == "win32" else "posix",
            python_version=TARGET_PYTHON,
            python_full_version=TARGET_PYTHON + ".0",
            implementation_name="cpython",
            platform_python_implementation="CPython",
            extra="",
        )
        envs.append(env)
    return envs


def unmet_requirements(wheels: list[Path]) -> list[str]:
    """Each bundled wheel's Requires-Dist that applies on a target platform and is not met by the bundle."""
    metas = [_wheel_metadata(w) for w in wheels]
    bundled = {name: version for name, version, _ in metas}
    problems = []
    for (_, _, requires), wheel in zip(metas, wheels, strict=True):
        for line in requires:
            req = Requirement(line)
            platforms = [
                env["sys_platform"]
                for env in _target_environments()
                if req.marker is None or req.marker.evaluate(env)
            ]
            wanted = canonicalize_name(req.name)
            if not platforms or wanted in DELIBERATELY_UNBUNDLED:
                continue
            have = bundled.get(wanted)
            if have is None:
                problems.append(f"{wheel.name} requires {line!r} on {'/'.join(platforms)}: not bundled")
            elif not req.specifier.contains(have, prereleases=True):
                problems.append(f"{wheel.name} requires {line!r}: the bundle has {wanted} {have}")
    return problems


def check_requirements(wheels: list[Path]) -> None:
    """Fails the build when a bundled wheel needs something the bundle does not hold."""
    problems = unmet_requirements(wheels)
    if problems:
        raise SystemExit(
            "The bundled wheels are incomplete (Python "
            + TARGET_PYTHON
            + "; add the missing wheels to blender_addon/blender_manifest.toml):\n  "
            + "\n  ".join(problems)
        )


def _write_zip(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(target)


def blender_builder() -> list[str] | None:
    """Blender's own extension builder: a `blender` 4.2+ binary, else the bpy module's blender_ext.py."""
    blender = shutil.which("blender")
    if blender:
        proc = subprocess.run([blender, "--version"], capture_output=True, text=True, check=False, timeout=60)
        match = re.search(r"Blender (\d+)\.(\d+)", proc.stdout)
        if match and (int(match[1]), int(match[2])) >= (4, 2):
            return [blender, "--factory-startup", "--command", "extension"]
    spec = importlib.util.find_spec("bpy")  # finds the package without importing it (that takes a second)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return [sys.executable, str(found[-1])]
    return None


def stage_source(source: Path, wheels_dir: Path, names: list[str]) -> dict[str, bytes]:
    """The extension's source folder as Blender builds it: the add-on with its wheels/ next to it."""
    shutil.rmtree(source, ignore_errors=True)
    files = {
        p.relative_to(ADDON_DIR).as_posix(): p.read_bytes()
        for p in sorted(ADDON_DIR.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.parts[len(ADDON_DIR.parts)] != "wheels"
    }
    for name in names:
        files[f"wheels/{name}"] = (wheels_dir / name).read_bytes()
    stamp = time.mktime((*ZIP_DATE, 0, 0, -1))  # Blender's builder stores file times: fix them
    for name, data in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (stamp, stamp))
    return files


def validate_zip(target: Path, files: dict[str, bytes]) -> None:
    """The built zip holds exactly the staged files, byte for byte."""
    with zipfile.ZipFile(target) as archive:
        names = {n for n in archive.namelist() if not n.endswith("/")}
        differ = sorted(n for n in names & set(files) if archive.read(n) != files[n])
    if names != set(files) or differ:
        raise SystemExit(
            f"{target} does not match its source: missing {sorted(set(files) - names)}, "
            f"unexpected {sorted(names - set(files))}, different {differ}"
        )


def build(build_dir: Path, dist_dir: Path, *, use_blender: bool = True) -> Path:
    meta = manifest()
    version = str(meta["version"])
    wheels_dir = build_dir / "wheels"
    wheels_dir.mkdir(parents=True, exist_ok=True)
    names = wheel_names()
    build_client_wheel(wheels_dir, version)
    fetch_wheels(wheels_dir, names)
    check_requirements([wheels_dir / name for name in names])
    files = stage_source(build_dir / "source", wheels_dir, names)
    target = dist_dir / f"hearth_blender-{version}.zip"
    builder = blender_builder() if use_blender else None
    if builder is None:  # no Blender at all: our own zip, validated against the manifest schema by the tests
        _write_zip(target, files)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = ["--source-dir", str(build_dir / "source")]
        for args in (["build", *source, "--output-filepath", str(target)], ["validate", str(target)]):
            proc = subprocess.run(
                [*builder, *args], capture_output=True, text=True, check=False, timeout=BLENDER_TIMEOUT_S
            )
            if proc.returncode != 0:
                raise SystemExit(f"Blender's extension {args[0]} failed:\n{proc.stdout}{proc.stderr}")
    validate_zip(target, files)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "addon")
    parser.add_argument("--dist-dir", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--no-blender", action="store_true", help="zip it ourselves instead of with Blender's extension build"
    )
    args = parser.parse_args(argv)
    print(build(args.build_dir, args.dist_dir, use_blender=not args.no_blender))
    return 0


if __name__ == "__main__":
    sys.exit(main())
