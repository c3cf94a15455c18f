"""Scene (.blend or folder) -> dependency report -> self-contained package; user files are never modified."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from render_client.bat_packer import BlendRun, package_key, trace_blend
from render_client.blend_header import FARM_BLENDER_VERSION, check_blend_file
from render_client.errors import PackingError
from render_client.packing_report import (
    EXTERNAL_DIR,
    ExternalFile,
    MissingFile,
    Package,
    PackedFile,
    PackObserver,
    PackReport,
)

# Blender's numbered backups (scene.blend1, scene.blend2, ...) never go to the farm.
_BACKUP_RE = re.compile(r"\.blend\d+$")
_SKIPPED_DIRS = {"__pycache__"}


@dataclass
class _Traced:
    copies: dict[str, Path] = field(default_factory=dict)
    rewritten: dict[str, Path] = field(default_factory=dict)
    needs_rewrite: list[str] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)


def find_main_blend(folder: Path, main: str | None = None) -> Path:
    """The .blend to render in `folder`: the one named by `main`, or the only top-level .blend."""
    if main is not None:
        candidate = Path(main) if Path(main).is_absolute() else folder / main
        if not candidate.is_file():
            raise PackingError(f"{main} is not a file in {folder}. Name a .blend inside the scene folder.")
        return candidate
    top = sorted(p for p in folder.glob("*.blend") if p.is_file())
    candidates = top or sorted(_blend_files(folder))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise PackingError(f"No .blend file in {folder}. Choose a folder that holds your scene's .blend.")
    names = ", ".join(p.relative_to(folder).as_posix() for p in candidates)
    raise PackingError(
        f"{folder} holds several .blend files ({names}); name the one to render (--main NAME)."
    )


def trace(
    scene: Path,
    *,
    main: str | None = None,
    farm_version: tuple[int, int] = FARM_BLENDER_VERSION,
    observer: PackObserver | None = None,
) -> PackReport:
    """List what the scene needs, before anything is written or uploaded."""
    root, main_blend, roots = _resolve_scene(scene, main)
    traced = _trace_all(roots, root, None, farm_version, observer or PackObserver())
    files = dict(traced.copies)
    warnings: list[str] = []
    if scene.is_dir():
        _add_folder_files(root, files)
    external = [
        ExternalFile(src, key) for key, src in sorted(files.items()) if key.startswith(EXTERNAL_DIR + "/")
    ]
    if external:
        warnings.append(
            f"{len(external)} file(s) are outside the scene folder {root}; they are packed under "
            f"{EXTERNAL_DIR}/ and the paths are rewritten in copies of the .blend files."
        )
    return PackReport(
        scene=scene,
        root=root,
        main_blend=package_key(main_blend, root),
        files=[PackedFile(key, src, src.stat().st_size) for key, src in sorted(files.items())],
        missing=traced.missing,
        external=external,
        rewritten=sorted(traced.needs_rewrite),
        warnings=warnings,
    )


def build_package(
    report: PackReport,
    staging_dir: Path,
    *,
    allow_missing: bool = False,
    farm_version: tuple[int, int] = FARM_BLENDER_VERSION,
    observer: PackObserver | None = None,
) -> Package:
    """Make the package: rewritten .blend copies go to `staging_dir`, every other file is used in place."""
    report.ensure_complete(allow_missing)
    staging_dir = staging_dir.absolute()
    if _is_inside(staging_dir, report.root.absolute()) and report.scene.is_dir():
        raise PackingError(
            f"The staging directory {staging_dir} is inside the scene folder; choose another one."
        )
    staging_dir.mkdir(parents=True, exist_ok=True)
    main = str(report.root / report.main_blend) if report.scene.is_dir() else None
    root, _, roots = _resolve_scene(report.scene, main)
    traced = _trace_all(roots, root, staging_dir, farm_version, observer or PackObserver())
    files = dict(traced.copies)
    if report.scene.is_dir():
        _add_folder_files(root, files)
    external = [
        ExternalFile(src, key) for key, src in sorted(files.items()) if key.startswith(EXTERNAL_DIR + "/")
    ]
    files.update(traced.rewritten)
    warnings = list(report.warnings)
    if traced.missing and not report.missing:
        warnings.append(f"{len(traced.missing)} file(s) went missing since the scene was traced.")
    return Package(
        files=dict(sorted(files.items())),
        main_blend=report.main_blend,
        staging_dir=staging_dir,
        missing=traced.missing,
        external=external,
        warnings=warnings,
    )


def pack(
    scene: Path,
    staging_dir: Path,
    *,
    main: str | None = None,
    allow_missing: bool = False,
    farm_version: tuple[int, int] = FARM_BLENDER_VERSION,
    observer: PackObserver | None = None,
) -> tuple[PackReport, Package]:
    """trace() then build_package(): the one call most callers need."""
    report = trace(scene, main=main, farm_version=farm_version, observer=observer)
    package = build_package(
        report, staging_dir, allow_missing=allow_missing, farm_version=farm_version, observer=observer
    )
    return report, package


def _resolve_scene(scene: Path, main: str | None) -> tuple[Path, Path, list[Path]]:
    """(scene folder, main .blend, .blend files to trace as roots)."""
    scene = scene.absolute()
    if scene.is_dir():
        main_blend = find_main_blend(scene, main).absolute()
        others = [p.absolute() for p in _blend_files(scene) if p.absolute() != main_blend]
        return scene, main_blend, [main_blend, *others]
    if scene.is_file():
        if scene.suffix.lower() != ".blend":
            raise PackingError(f"{scene} is not a .blend file. Choose a .blend or a folder holding one.")
        return scene.parent, scene, [scene]
    raise PackingError(f"{scene} does not exist. Check the path of the scene.")


def _trace_all(
    roots: list[Path],
    root: Path,
    staging_dir: Path | None,
    farm_version: tuple[int, int],
    observer: PackObserver,
) -> _Traced:
    """Trace every root and, transitively, every linked library as a root of its own."""
    traced = _Traced()
    queue = list(roots)
    done: set[Path] = set()
    seen_missing: set[tuple[Path, str, str]] = set()
    while queue:
        blend = queue.pop(0)
        if blend in done:
            continue
        done.add(blend)
        check_blend_file(blend, farm_version)
        run: BlendRun = trace_blend(blend, root, staging_dir, observer, farm_version)
        traced.copies.update(run.copies)
        key = package_key(blend, root)
        if run.needs_rewrite:
            traced.needs_rewrite.append(key)
        if run.rewritten is not None and run.needs_rewrite:
            traced.rewritten[key] = run.rewritten
        for item in run.missing:
            ident = (item.path, item.needed_by, str(item.blend))
            if ident not in seen_missing:
                seen_missing.add(ident)
                traced.missing.append(item)
        queue.extend(lib for lib in run.libraries if lib not in done)
    return traced


def _blend_files(folder: Path) -> list[Path]:
    return sorted(p for p in _walk(folder) if p.suffix == ".blend")


def _add_folder_files(folder: Path, files: dict[str, Path]) -> None:
    """A folder scene ships whole (caches BAT cannot trace included), minus hidden files and backups."""
    for path in _walk(folder):
        key = path.relative_to(folder).as_posix()
        files.setdefault(key, path)


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if not name.startswith(".") and not _BACKUP_RE.search(name):
                found.append(Path(dirpath) / name)
    return found


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True
