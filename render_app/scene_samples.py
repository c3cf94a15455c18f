"""Reads the render samples a .blend was saved with (Cycles or EEVEE), without Blender."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blender_asset_tracer import blendfile

IDP_INT = 1
IDP_GROUP = 6
# Cycles keeps its settings as ID properties (in `system_properties` since Blender 5.0); a value never
# changed from Blender's default is not stored at all.
CYCLES_DEFAULT_SAMPLES = 4096
_EEVEE_ENGINES = (b"BLENDER_EEVEE", b"BLENDER_EEVEE_NEXT")


def _children(group: Any) -> list[Any]:
    found, child = [], group.get_pointer((b"data", b"group", b"first"))
    while child is not None:
        found.append(child)
        child = child.get_pointer(b"next")
    return found


def _cycles_samples(scene: Any) -> int | None:
    for field in (b"system_properties", b"properties"):
        try:
            root = scene.get_pointer((b"id", field))
        except KeyError:
            continue  # this Blender version has no such field
        for prop in _children(root) if root is not None else []:
            if prop.get(b"name") == b"cycles" and prop.get(b"type") == IDP_GROUP:
                for setting in _children(prop):
                    if setting.get(b"name") == b"samples" and setting.get(b"type") == IDP_INT:
                        return int(setting.get((b"data", b"val")))
    return None


def _scene_block(bf: Any, scene_name: str | None) -> Any:
    scenes = bf.find_blocks_from_code(b"SC")
    if scene_name:
        return next((s for s in scenes if s.id_name[2:].decode("utf-8", "replace") == scene_name), None)
    glob = bf.find_blocks_from_code(b"GLOB")
    current = glob[0].get_pointer(b"curscene") if glob else None
    return current or (scenes[0] if scenes else None)


def saved_samples(blend: Path, scene_name: str | None = None) -> int | None:
    """The samples per pixel the scene renders with as saved; None when unknown (other engines, errors)."""
    try:
        bf = blendfile.BlendFile(blend)
    except Exception:  # not a .blend we can read: the estimate falls back to its assumption
        return None
    try:
        scene = _scene_block(bf, scene_name)
        if scene is None:
            return None
        engine = scene.get((b"r", b"engine"))
        if engine == b"CYCLES":
            return _cycles_samples(scene) or CYCLES_DEFAULT_SAMPLES
        if engine in _EEVEE_ENGINES:
            return int(scene.get((b"eevee", b"taa_render_samples"))) or None
        return None
    except Exception:  # a damaged or unusual file: no number rather than a crash
        return None
    finally:
        bf.close()
