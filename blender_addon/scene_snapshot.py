"""The only module that reads bpy data: the scene, its file dependencies and a temporary copy, frozen."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import bpy

from .scene_model import Dependency, SceneSnapshot

# Image sources backed by files on disk; GENERATED and VIEWER images have none.
_FILE_IMAGE_SOURCES = {"FILE", "SEQUENCE", "MOVIE", "TILED"}
_DIGITS_RE = re.compile(r"(\d+)(?!.*\d)")


def output_dir(scene: Any) -> str:
    """The folder of the scene's output path (`//render/shot_` -> `<blend dir>/render`)."""
    raw = bpy.path.abspath(scene.render.filepath or "//")
    if raw.startswith("//"):  # unsaved file: `//` cannot resolve
        raw = os.path.join(bpy.app.tempdir or "/tmp", raw[2:])
    folder = raw if raw.endswith(("/", os.sep)) else os.path.dirname(raw)
    return os.path.normpath(folder or ".")


def snapshot(scene: Any) -> SceneSnapshot:
    cameras = tuple(sorted(o.name for o in scene.objects if o.type == "CAMERA"))
    return SceneSnapshot(
        blend_path=bpy.data.filepath,
        scene_name=scene.name,
        frame_start=scene.frame_start,
        frame_end=scene.frame_end,
        frame_step=scene.frame_step,
        camera=scene.camera.name if scene.camera else "",
        cameras=cameras,
        output_dir=output_dir(scene),
        file_format=scene.render.image_settings.file_format,
        dependencies=tuple(dependencies()),
    )


def save_copy(folder: Path) -> Path:
    """Writes the current session (unsaved edits included) to `folder`; the user's file is untouched.

    `copy=True` keeps bpy.data.filepath and the dirty flag as they were; `relative_remap` rewrites
    relative paths in the copy so they still point at the user's files from the temporary folder.
    """
    name = Path(bpy.data.filepath).name if bpy.data.filepath else "untitled.blend"
    target = folder / name
    # The packer reads zstd-compressed .blend files only with the zstandard module (Blender bundles it).
    compress = importlib.util.find_spec("zstandard") is not None
    bpy.ops.wm.save_as_mainfile(filepath=str(target), copy=True, relative_remap=True, compress=compress)
    return target


def _abspath(path: str, library: Any) -> str:
    return os.path.normpath(str(bpy.path.abspath(path, library=library)))


def _image_files(image: Any) -> list[str]:
    """The files an image reads: every frame of a sequence, every UDIM tile."""
    path = _abspath(image.filepath, image.library)
    if image.source == "TILED":
        return [path.replace("<UDIM>", str(tile.number)) for tile in image.tiles]
    if image.source == "SEQUENCE":
        folder, name = os.path.split(path)
        match = _DIGITS_RE.search(name)
        if match:
            pattern = name[: match.start()] + "[0-9]" * len(match.group(1)) + name[match.end() :]
            frames = sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))
            return frames or [path]
    return [path]


def dependencies() -> list[Dependency]:
    """Files the session reads, from Blender's own data; packed data and built-ins are skipped."""
    found: dict[str, Dependency] = {}

    def add(path: str, needed_by: str) -> None:
        if path and path not in found:
            found[path] = Dependency(path, needed_by, os.path.isfile(path))

    for image in bpy.data.images:
        if image.source in _FILE_IMAGE_SOURCES and image.filepath and not image.packed_file:
            for path in _image_files(image):
                add(path, f'Image "{image.name}"')
    for lib in bpy.data.libraries:
        if not lib.packed_file:
            add(_abspath(lib.filepath, None), f'Library "{lib.name}"')
    groups: list[tuple[Any, str]] = [
        (bpy.data.sounds, "Sound"),
        (bpy.data.movieclips, "Movie clip"),
        (bpy.data.cache_files, "Cache file"),
        (bpy.data.fonts, "Font"),
        (bpy.data.volumes, "Volume"),
    ]
    for collection, kind in groups:
        for block in collection:
            path = getattr(block, "filepath", "")
            if path and path != "<builtin>" and not getattr(block, "packed_file", None):
                add(_abspath(path, block.library), f'{kind} "{block.name}"')
    # file_path_map also knows paths no typed collection above exposes (modifier caches, ...).
    if hasattr(bpy.data, "file_path_map"):
        for block, paths in bpy.data.file_path_map(include_libraries=False).items():
            if isinstance(block, bpy.types.Image) or getattr(block, "packed_file", None):
                continue  # images are expanded above (sequences, tiles)
            for path in paths:
                absolute = _abspath(path, getattr(block, "library", None))
                if path and path != "<builtin>" and not os.path.isdir(absolute):
                    add(absolute, f'{type(block).__name__} "{block.name}"')
    return sorted(found.values(), key=lambda d: d.path)
