"""Writes small test .blend files with bpy in a subprocess (the test process never renders)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCENE_BUILD_TIMEOUT_S = 60.0

# Runs in a fresh interpreter with the bpy module; arguments arrive as one JSON object in argv[1].
_BUILD_SCRIPT = r"""
import json, sys
import bpy

cfg = json.loads(sys.argv[1])
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.name = cfg["scene_name"]
scene.frame_start = cfg["frame_start"]
scene.frame_end = cfg["frame_end"]
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = cfg["samples"]
scene.cycles.use_denoising = False
scene.render.resolution_x = cfg["width"]
scene.render.resolution_y = cfg["height"]
scene.render.resolution_percentage = 100

# A checker image saved as a real file, so packers and workers must resolve an external texture.
size = 16
img = bpy.data.images.new("checker", size, size)
px = []
for y in range(size):
    for x in range(size):
        on = (x // 4 + y // 4) % 2
        px += [1.0, 0.3, 0.1, 1.0] if on else [0.1, 0.3, 1.0, 1.0]
img.pixels[:] = px
img.filepath_raw = cfg["texture_path"]
img.file_format = "PNG"
img.save()

bpy.ops.mesh.primitive_cube_add(size=2.0, location=(0.0, 0.0, 0.0))
cube = bpy.context.active_object
cube.name = "Cube"
mat = bpy.data.materials.new("Textured")
mat.use_nodes = True
nodes = mat.node_tree.nodes
tex = nodes.new("ShaderNodeTexImage")
tex.image = img
bsdf = nodes.get("Principled BSDF")
mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
cube.data.materials.append(mat)
# Animate the cube so frames differ.
cube.rotation_euler = (0.0, 0.0, 0.0)
cube.keyframe_insert("rotation_euler", frame=cfg["frame_start"])
cube.rotation_euler = (0.0, 0.0, 1.5)
cube.keyframe_insert("rotation_euler", frame=max(cfg["frame_end"], cfg["frame_start"] + 1))

bpy.ops.object.camera_add(location=(5.0, -5.0, 4.0), rotation=(1.1, 0.0, 0.785))
cam = bpy.context.active_object
cam.name = cfg["camera_name"]
scene.camera = cam
bpy.ops.object.camera_add(location=(0.0, -7.0, 0.0), rotation=(1.5708, 0.0, 0.0))
bpy.context.active_object.name = "SideCamera"

bpy.ops.object.light_add(type="SUN", location=(3.0, -3.0, 6.0))
bpy.context.active_object.data.energy = 4.0

if not cfg["absolute_texture"]:
    img.filepath = "//" + cfg["texture_rel"]
bpy.ops.wm.save_as_mainfile(filepath=cfg["blend_path"], relative_remap=False)
print("SCENE_OK")
"""


def make_textured_scene(
    directory: Path,
    *,
    name: str = "scene.blend",
    frame_start: int = 1,
    frame_end: int = 3,
    width: int = 64,
    height: int = 36,
    samples: int = 8,
    absolute_texture: bool = False,
    scene_name: str = "Scene",
    camera_name: str = "Camera",
    python: str | None = None,
) -> Path:
    """Writes `directory/name`: a textured cube (texture in `directory/textures/`), two cameras, a sun.

    Cycles CPU, no denoising, tiny resolution. With `absolute_texture` the image path is stored absolute,
    otherwise relative to the .blend (`//textures/checker.png`). Returns the .blend path.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "textures").mkdir(exist_ok=True)
    blend_path = directory / name
    texture_rel = "textures/checker.png"
    cfg = {
        "blend_path": str(blend_path.resolve()),
        "texture_path": str((directory / texture_rel).resolve()),
        "texture_rel": texture_rel,
        "absolute_texture": absolute_texture,
        "frame_start": frame_start,
        "frame_end": frame_end,
        "width": width,
        "height": height,
        "samples": samples,
        "scene_name": scene_name,
        "camera_name": camera_name,
    }
    proc = subprocess.run(
        [python or sys.executable, "-c", _BUILD_SCRIPT, json.dumps(cfg)],
        capture_output=True,
        text=True,
        timeout=SCENE_BUILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0 or "SCENE_OK" not in proc.stdout:
        raise RuntimeError(
            f"scene build failed (rc {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return blend_path
