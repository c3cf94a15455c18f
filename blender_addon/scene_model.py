"""What the add-on knows about a scene, frozen and bpy-free so background threads may read it."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, replace

MISSING_SHOWN = 10
_DIGITS_RE = re.compile(r"(\d+)(?!.*\d)")
# How a dependency's path reads from disk; the main thread records it, a background thread resolves it.
FILE, SEQUENCE, FILE_OR_DIR = "file", "sequence", "file-or-dir"


@dataclass(frozen=True)
class Dependency:
    """One file the scene reads, as Blender sees it."""

    path: str  # absolute
    needed_by: str  # for example `Image "checker"`
    exists: bool | None = None  # None until resolve() looked at the disk (never on Blender's main thread)
    kind: str = FILE  # SEQUENCE: one frame of an image sequence; FILE_OR_DIR: dropped when a folder


def sequence_frames(path: str) -> list[str]:
    """Every numbered sibling of one frame of an image sequence (`tex_0001.png` -> `tex_[0-9]{4}.png`)."""
    folder, name = os.path.split(path)
    match = _DIGITS_RE.search(name)
    if not match:
        return [path]
    pattern = name[: match.start()] + "[0-9]" * len(match.group(1)) + name[match.end() :]
    return sorted(glob.glob(os.path.join(glob.escape(folder), pattern))) or [path]


def resolve(dependencies: tuple[Dependency, ...]) -> tuple[Dependency, ...]:
    """Expands sequences and checks existence: disk access, so it runs on the job's thread."""
    found: dict[str, Dependency] = {}
    for dep in dependencies:
        for path in sequence_frames(dep.path) if dep.kind == SEQUENCE else [dep.path]:
            if path in found or (dep.kind == FILE_OR_DIR and os.path.isdir(path)):
                continue
            found[path] = Dependency(path, dep.needed_by, os.path.isfile(path))
    return tuple(sorted(found.values(), key=lambda d: d.path))


def missing_message(missing: tuple[Dependency, ...]) -> str:
    lines = [f"{len(missing)} file(s) needed by the scene are missing; nothing was uploaded:"]
    lines += [f"  {d.path} (needed by {d.needed_by})" for d in missing[:MISSING_SHOWN]]
    if len(missing) > MISSING_SHOWN:
        lines.append(f"  ... and {len(missing) - MISSING_SHOWN} more")
    lines.append("Relink them (File > External Data > Find Missing Files) or put the files back.")
    return "\n".join(lines)


@dataclass(frozen=True)
class FrameNaming:
    """`scene.render.frame_path(frame=…)` as a rule: prefix + zero-padded frame + suffix (+ extension).

    The extension is the downloaded file's own, since the job may override the scene's format.
    """

    prefix: str  # absolute, for example /shots/render/shot_
    width: int  # zero padding of the frame number
    suffix: str  # after the number, without the extension
    with_extension: bool  # Blender's "File Extensions" option

    def path(self, frame: int, extension: str) -> str:
        return f"{self.prefix}{frame:0{self.width}d}{self.suffix}{extension if self.with_extension else ''}"


@dataclass(frozen=True)
class SceneSnapshot:
    """Everything the background job needs from Blender, read once on the main thread."""

    blend_path: str  # the user's file ("" when never saved)
    scene_name: str
    frame_start: int
    frame_end: int
    frame_step: int
    camera: str
    cameras: tuple[str, ...]
    output_dir: str  # absolute folder the scene renders into
    file_format: str
    dependencies: tuple[Dependency, ...]
    frame_naming: FrameNaming | None = None  # None: keep the farm's names (frame_0001.png)

    @property
    def missing(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if d.exists is False)

    def resolved(self) -> SceneSnapshot:
        """This snapshot with its dependencies expanded and checked on disk (call off the main thread)."""
        return replace(self, dependencies=resolve(self.dependencies))

    @property
    def default_frames(self) -> str:
        if self.frame_start == self.frame_end:
            return str(self.frame_start)
        step = f":{self.frame_step}" if self.frame_step > 1 else ""
        return f"{self.frame_start}-{self.frame_end}{step}"
