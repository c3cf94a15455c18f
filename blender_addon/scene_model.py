"""What the add-on knows about a scene, frozen and bpy-free so background threads may read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dependency:
    """One file the scene reads, as Blender sees it."""

    path: str  # absolute
    needed_by: str  # for example `Image "checker"`
    exists: bool


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

    @property
    def missing(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if not d.exists)

    @property
    def default_frames(self) -> str:
        if self.frame_start == self.frame_end:
            return str(self.frame_start)
        step = f":{self.frame_step}" if self.frame_step > 1 else ""
        return f"{self.frame_start}-{self.frame_end}{step}"
