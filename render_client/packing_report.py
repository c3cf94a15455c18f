"""What packing found and made: the pre-upload report, the package, and the progress observer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from render_client.errors import MissingFilesError

EXTERNAL_DIR = "_external"


@dataclass(frozen=True)
class PackedFile:
    """One file that goes into the package."""

    key: str  # posix path inside the package
    source: Path  # the user's file on disk (never modified)
    size_b: int


@dataclass(frozen=True)
class MissingFile:
    """A file a .blend asks for that does not exist."""

    path: Path  # where Blender would look for it
    stored_path: str  # the path as written in the .blend (for example `//textures/wood.png`)
    needed_by: str  # the data block that uses it, for example `Image "wood"`
    blend: Path  # the .blend file holding that block

    @property
    def hint(self) -> str:
        return (
            f"Put the file back at {self.path}, or open {self.blend.name} in Blender and relink "
            f"{self.needed_by} (File > External Data > Find Missing Files); or submit with --allow-missing "
            "to render without it."
        )


@dataclass(frozen=True)
class ExternalFile:
    """A file outside the scene folder: it is packed under `_external/` and the .blend paths are rewritten."""

    source: Path
    key: str


@dataclass
class PackReport:
    """Everything packing will upload, reported before anything is uploaded."""

    scene: Path  # the .blend or folder the user chose
    root: Path  # the scene folder: package keys are relative to it
    main_blend: str  # package key of the .blend to render
    files: list[PackedFile] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    external: list[ExternalFile] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # keys of .blend files whose paths will be rewritten
    warnings: list[str] = field(default_factory=list)

    @property
    def total_size_b(self) -> int:
        return sum(f.size_b for f in self.files)

    def ensure_complete(self, allow_missing: bool = False) -> None:
        """Raise MissingFilesError when files are missing, unless the caller allows it."""
        if self.missing and not allow_missing:
            raise MissingFilesError(format_missing(self.missing))


@dataclass
class Package:
    """A self-contained scene: package key -> local file to upload, with rewritten .blend copies staged."""

    files: dict[str, Path]
    main_blend: str
    staging_dir: Path
    missing: list[MissingFile] = field(default_factory=list)
    external: list[ExternalFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_size_b(self) -> int:
        return sum(path.stat().st_size for path in self.files.values())


class PackObserver:
    """Progress of tracing and packing: override what you need; every call comes on the caller's thread."""

    def blendfile_traced(self, path: Path) -> None:
        """A .blend file was opened to trace its dependencies."""

    def asset_found(self, path: Path) -> None:
        """A dependency was found (a .blend library counts too)."""

    def file_missing(self, missing: MissingFile) -> None:
        """A dependency does not exist."""

    def blendfile_rewritten(self, path: Path) -> None:
        """A copy of this .blend with rewritten paths was written to the staging directory."""


def format_missing(missing: list[MissingFile]) -> str:
    """A message listing missing files, each with what needs it and how to fix it."""
    lines = [f"{len(missing)} file(s) needed by the scene are missing:"]
    for item in missing:
        lines.append(f"  - {item.stored_path} (needed by {item.needed_by} in {item.blend.name})")
        lines.append(f"    {item.hint}")
    return "\n".join(lines)


def format_report(report: PackReport) -> str:
    """A human-readable summary of the report, for the CLI and logs."""
    lines = [f"Scene {report.scene}: render {report.main_blend}"]
    lines.append(f"{len(report.files)} file(s), {_size(report.total_size_b)} in all")
    for packed in sorted(report.files, key=lambda f: f.key):
        lines.append(f"  {packed.key}  {_size(packed.size_b)}")
    if report.external:
        lines.append(
            f"{len(report.external)} file(s) outside the scene folder, packed under {EXTERNAL_DIR}/:"
        )
        lines.extend(f"  {ext.source} -> {ext.key}" for ext in report.external)
    if report.rewritten:
        lines.append(
            "Paths rewritten in copies of: " + ", ".join(report.rewritten) + " (your files stay as they are)"
        )
    if report.missing:
        lines.append(format_missing(report.missing))
    lines.extend(f"Warning: {w}" for w in report.warnings)
    return "\n".join(lines)


def _size(size_b: int) -> str:
    value = float(size_b)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size_b} B"
