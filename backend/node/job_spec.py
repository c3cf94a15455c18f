"""Turns a task's Qarnot-style constants into the worker's JobSpec, refusing what cannot render."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from backend.node.worker_protocol import JobSpec, PreviewSettings

# Qarnot's public names on the left, Blender's image format ids on the right.
FORMATS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "JPG": "JPEG",
    "OPEN_EXR": "OPEN_EXR",
    "EXR": "OPEN_EXR",
    "MULTILAYER": "OPEN_EXR_MULTILAYER",
    "OPEN_EXR_MULTILAYER": "OPEN_EXR_MULTILAYER",
    "TIFF": "TIFF",
    "TGA": "TARGA",
    "TARGA": "TARGA",
    "WEBP": "WEBP",
}
ENGINES = {"CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH"}


class JobSpecError(ValueError):
    """The task's constants cannot be rendered; the message names the constant and the fix."""


def _int(constants: dict[str, str], name: str) -> int | None:
    raw = constants.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise JobSpecError(f"{name}={raw!r} is not a whole number") from exc


def _text(constants: dict[str, str], name: str) -> str | None:
    return constants.get(name, "").strip() or None


def blend_path(inputs_dir: Path, constants: dict[str, str]) -> Path:
    relative = constants.get("BLEND_FILE", "").strip().replace("\\", "/")
    if not relative:
        raise JobSpecError("BLEND_FILE is missing: set it to the .blend path inside the resource bucket")
    parts = PurePosixPath(relative).parts
    if relative.startswith("/") or ".." in parts:
        raise JobSpecError(f"BLEND_FILE={relative!r} must be a relative path inside the resource bucket")
    return inputs_dir.joinpath(*parts)


def spec_from_constants(
    constants: dict[str, str],
    *,
    inputs_dir: Path,
    output_dir: Path,
    preview_dir: Path,
    threads: int | None,
) -> JobSpec:
    engine = (_text(constants, "BLEND_ENGINE") or "CYCLES").upper()
    if engine not in ENGINES:
        raise JobSpecError(f"BLEND_ENGINE={engine!r} is not one of {', '.join(sorted(ENGINES))}")
    image_format = (_text(constants, "BLEND_FORMAT") or "PNG").upper()
    if image_format not in FORMATS:
        raise JobSpecError(f"BLEND_FORMAT={image_format!r} is not one of {', '.join(sorted(FORMATS))}")
    width, height = _int(constants, "BLEND_W"), _int(constants, "BLEND_H")
    return JobSpec(
        blend=blend_path(inputs_dir, constants),
        output_dir=output_dir,
        frames=(),
        scene=_text(constants, "BLEND_SCENE"),
        camera=_text(constants, "BLEND_CAMERA"),
        engine=engine,
        samples=_int(constants, "BLEND_CYCLES_SAMPLES"),
        resolution_x=width,
        resolution_y=height,
        resolution_percentage=_int(constants, "BLEND_RATIO"),
        format=FORMATS[image_format],
        threads=threads,
        # On software OpenGL an EEVEE draft costs most of a frame (shader compiles): no drafts there.
        preview=PreviewSettings(dir=preview_dir, draft=not engine.startswith("BLENDER_EEVEE")),
    )
