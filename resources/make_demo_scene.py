"""Regenerates resources/demo_scene/ (demo.blend + textures/checker.png) with the bpy module."""

# Run with the venv's python, which has bpy: `.venv/bin/python resources/make_demo_scene.py`.
from __future__ import annotations

from pathlib import Path

import bpy

OUT = Path(__file__).resolve().parent / "demo_scene"
TEXTURE_SIZE = 32
FRAMES = (1, 24)
WIDTH, HEIGHT, SAMPLES = 160, 90, 16  # small on purpose: a new user sees frames within a minute


def _checker_image() -> bpy.types.Image:
    img = bpy.data.images.new("checker", TEXTURE_SIZE, TEXTURE_SIZE)
    pixels: list[float] = []
    for y in range(TEXTURE_SIZE):
        for x in range(TEXTURE_SIZE):
            warm = (x // 8 + y // 8) % 2
            pixels += [0.95, 0.45, 0.1, 1.0] if warm else [0.15, 0.2, 0.3, 1.0]
    img.pixels[:] = pixels
    img.filepath_raw = str(OUT / "textures" / "checker.png")
    img.file_format = "PNG"
    img.save()
    return img


def main() -> None:
    (OUT / "textures").mkdir(parents=True, exist_ok=True)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = "Demo"
    scene.frame_start, scene.frame_end = FRAMES
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = SAMPLES
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = WIDTH, HEIGHT
    scene.render.resolution_percentage = 100
    img = _checker_image()
    bpy.ops.mesh.primitive_cube_add(size=2.0)
    cube = bpy.context.active_object
    cube.name = "HeaterCube"
    mat = bpy.data.materials.new("Checker")
    mat.use_nodes = True
    tex = mat.node_tree.nodes.new("ShaderNodeTexImage")
    tex.image = img
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    mat.node_tree.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
    cube.data.materials.append(mat)
    cube.rotation_euler = (0.0, 0.0, 0.0)
    cube.keyframe_insert("rotation_euler", frame=FRAMES[0])
    cube.rotation_euler = (0.3, 0.0, 3.1416)
    cube.keyframe_insert("rotation_euler", frame=FRAMES[1])
    bpy.ops.mesh.primitive_plane_add(size=12.0, location=(0.0, 0.0, -1.0))
    bpy.ops.object.camera_add(location=(5.0, -5.0, 3.5), rotation=(1.15, 0.0, 0.785))
    scene.camera = bpy.context.active_object
    bpy.ops.object.light_add(type="SUN", location=(3.0, -3.0, 6.0))
    bpy.context.active_object.data.energy = 4.0
    img.filepath = "//textures/checker.png"  # relative, so the folder can move
    bpy.ops.wm.save_as_mainfile(filepath=str(OUT / "demo.blend"), compress=True, relative_remap=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
