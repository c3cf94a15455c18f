"""Builds packing test scenes with bpy in a subprocess: absolute, relative, sequence, library, missing."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

BPY_TIMEOUT_S = 120.0
SEQUENCE_FRAMES = 3
UDIM_TILES = (1001, 1002)

# Where each textured cube stands (x, metres) in a row seen from the front by an orthographic camera;
# the library's cube stands at "lib_tex" through the collection instance.
CUBE_SIZE_M = 1.0
SLOTS_M = {
    "abs_tex": 0.0,
    "rel_tex": 1.5,
    "seq_tex": 3.0,
    "udim_tex": 4.5,
    "lib_tex": 6.0,
    "missing_tex": 7.5,
}
CAMERA_X_M = 3.75
ORTHO_SCALE_M = 9.5  # the frame's width, in metres

ABS_RGB = (200, 30, 30)
REL_RGB = (30, 200, 30)
LIB_RGB = (200, 200, 30)

# Runs in a fresh interpreter with the bpy module; arguments arrive as one JSON object in argv[1].
_BUILD_SCRIPT = r"""
import json, sys
import bpy

cfg = json.loads(sys.argv[1])

def textured_material(name, image):
    # Emission: the texture's colour reaches the pixels whatever the lighting, so a lost texture shows.
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    tex = nodes.new("ShaderNodeTexImage")
    tex.image = image
    tex.interpolation = "Closest"
    emit = nodes.new("ShaderNodeEmission")
    links.new(tex.outputs["Color"], emit.inputs["Color"])
    links.new(emit.outputs["Emission"], nodes.get("Material Output").inputs["Surface"])
    return mat

def image(path, stored_path, name, source="FILE"):
    img = bpy.data.images.load(path, check_existing=False)
    img.name = name
    img.source = source
    img.filepath = stored_path
    return img

# 1. The library: a collection with a cube that uses its own relative texture.
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.save_as_mainfile(filepath=cfg["lib_blend"])
bpy.ops.mesh.primitive_cube_add(size=cfg["size"])
lib_cube = bpy.context.active_object
lib_cube.name = "LibCube"
lib_image = image(cfg["lib_tex"], cfg["lib_tex_stored"], "lib_tex")
lib_cube.data.materials.append(textured_material("LibMat", lib_image))
coll = bpy.data.collections.new("LibCollection")
bpy.context.scene.collection.children.link(coll)
for c in list(lib_cube.users_collection):
    c.objects.unlink(lib_cube)
coll.objects.link(lib_cube)
bpy.ops.wm.save_mainfile(compress=False, relative_remap=False)

# 2. The main scene.
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.wm.save_as_mainfile(filepath=cfg["main_blend"])
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 1
scene.render.resolution_x = 32
scene.render.resolution_y = 18
scene.view_settings.view_transform = "Standard"  # pixels keep the textures' colours
images = [
    image(cfg["abs_tex"], cfg["abs_tex"], "abs_tex"),
    image(cfg["rel_tex"], "//textures/rel_tex.png", "rel_tex"),
    image(cfg["seq_first"], "//textures/seq/frame_0001.png", "seq_tex", source="SEQUENCE"),
    image(cfg["udim_first"], cfg["udim_stored"], "udim_tex", source="TILED"),
]
if cfg["missing"]:
    missing = bpy.data.images.new("missing_tex", 4, 4)
    missing.source = "FILE"
    missing.filepath = "//textures/missing.png"
    images.append(missing)
for img in images:
    bpy.ops.mesh.primitive_cube_add(size=cfg["size"], location=(cfg["slots"][img.name], 0.0, 0.0))
    ob = bpy.context.active_object
    ob.name = "Cube_" + img.name
    ob.data.materials.append(textured_material("Mat_" + img.name, img))

with bpy.data.libraries.load("//libs/lib.blend", link=True, relative=True) as (src, dst):
    dst.collections = ["LibCollection"]
inst = bpy.data.objects.new("LibInstance", None)
inst.instance_type = "COLLECTION"
inst.instance_collection = dst.collections[0]
inst.location = (cfg["slots"]["lib_tex"], 0.0, 0.0)
scene.collection.objects.link(inst)
# Front view, orthographic: every cube in its own column of the frame (see object_pixel()).
bpy.ops.object.camera_add(location=(cfg["camera_x"], -10.0, 0.0), rotation=(1.5707963, 0.0, 0.0))
scene.camera = bpy.context.active_object
scene.camera.data.type = "ORTHO"
scene.camera.data.ortho_scale = cfg["ortho_scale"]
bpy.ops.wm.save_mainfile(compress=True, relative_remap=False)
print("SCENE_OK", json.dumps({i.name: i.filepath for i in bpy.data.images}))
"""

# Runs in a fresh interpreter: opens a .blend and reports how its images and libraries resolve.
_INSPECT_SCRIPT = r"""
import json, os, sys
import bpy

bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
out = {"images": {}, "libraries": {}, "linked_objects": []}
for img in bpy.data.images:
    path = bpy.path.abspath(img.filepath, library=img.library)
    out["images"][img.name] = {
        "filepath": img.filepath,
        "abspath": os.path.normpath(path),
        "exists": os.path.exists(path),
        "size": list(img.size),
        "source": img.source,
        "library": img.library.filepath if img.library else None,
        "tiles_exist": [os.path.exists(path.replace("<UDIM>", str(t.number))) for t in img.tiles],
    }
for lib in bpy.data.libraries:
    path = bpy.path.abspath(lib.filepath)
    out["libraries"][lib.name] = {"filepath": lib.filepath, "exists": os.path.exists(path)}
for ob in bpy.data.objects:
    if ob.library is not None:
        out["linked_objects"].append({"name": ob.name, "is_missing": ob.is_missing})
print("INSPECT_OK " + json.dumps(out))
"""


@dataclass(frozen=True)
class Scene:
    """Paths of a generated test scene."""

    folder: Path  # the scene folder
    main_blend: Path
    lib_blend: Path
    abs_texture: Path  # outside `folder`, referenced by an absolute path
    rel_texture: Path
    sequence: list[Path]
    udim_tiles: list[Path]  # outside `folder`, stored as an absolute `<UDIM>` path
    lib_texture: Path
    missing_texture: Path | None


def sequence_rgb(index: int) -> tuple[int, int, int]:
    return (30, 30, 60 * (index + 1))


def udim_rgb(index: int) -> tuple[int, int, int]:
    return (90, 60 * (index + 1), 30)


def object_pixel(image_name: str, width: int, height: int) -> tuple[int, int]:
    """(column, row) of the centre of the cube textured with `image_name` in a frame of that size."""
    px_per_m = width / ORTHO_SCALE_M  # landscape: the orthographic scale spans the width
    column = width / 2 + (SLOTS_M[image_name] - CAMERA_X_M) * px_per_m
    return int(column), height // 2


def write_png(path: Path, rgb: tuple[int, int, int], size: int = 4) -> None:
    """Write a tiny solid-colour PNG without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * size))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png + chunk(b"IEND", b""))


def make_scene(root: Path, *, missing: bool = False, lib_texture_outside: bool = False) -> Scene:
    """Create `root/scene/` (main.blend, textures/, textures/seq/, libs/) and `root/outside/` (abs, UDIM).

    With `lib_texture_outside` the library's texture lives in `root/outside/` and is stored absolute.
    """
    folder = root / "scene"
    abs_tex = root / "outside" / "abs_tex.png"
    seq = [folder / "textures" / "seq" / f"frame_{i:04d}.png" for i in range(1, SEQUENCE_FRAMES + 1)]
    udim = [root / "outside" / "udim" / f"tex.{tile}.png" for tile in UDIM_TILES]
    scene = Scene(
        folder=folder,
        main_blend=folder / "main.blend",
        lib_blend=folder / "libs" / "lib.blend",
        abs_texture=abs_tex,
        rel_texture=folder / "textures" / "rel_tex.png",
        sequence=seq,
        udim_tiles=udim,
        lib_texture=(root / "outside" if lib_texture_outside else folder / "libs") / "lib_tex.png",
        missing_texture=folder / "textures" / "missing.png" if missing else None,
    )
    scene.lib_blend.parent.mkdir(parents=True, exist_ok=True)
    write_png(abs_tex, ABS_RGB)
    write_png(scene.rel_texture, REL_RGB)
    write_png(scene.lib_texture, LIB_RGB)
    for i, frame in enumerate(seq):
        write_png(frame, sequence_rgb(i))
    for i, tile in enumerate(udim):
        write_png(tile, udim_rgb(i))
    cfg = {
        "main_blend": str(scene.main_blend),
        "lib_blend": str(scene.lib_blend),
        "abs_tex": str(abs_tex),
        "rel_tex": str(scene.rel_texture),
        "seq_first": str(seq[0]),
        "udim_first": str(udim[0]),
        "udim_stored": str(udim[0].parent / "tex.<UDIM>.png"),
        "lib_tex": str(scene.lib_texture),
        "lib_tex_stored": str(scene.lib_texture) if lib_texture_outside else "//lib_tex.png",
        "missing": missing,
        "size": CUBE_SIZE_M,
        "slots": SLOTS_M,
        "camera_x": CAMERA_X_M,
        "ortho_scale": ORTHO_SCALE_M,
    }
    _run_bpy(_BUILD_SCRIPT, json.dumps(cfg), "SCENE_OK")
    return scene


def inspect_blend(blend: Path) -> dict[str, object]:
    """Open `blend` with bpy in a subprocess; return how its images and libraries resolve."""
    line = _run_bpy(_INSPECT_SCRIPT, str(blend), "INSPECT_OK ")
    result: dict[str, object] = json.loads(line[len("INSPECT_OK ") :])
    return result


def _run_bpy(script: str, arg: str, marker: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", script, arg],
        capture_output=True,
        text=True,
        timeout=BPY_TIMEOUT_S,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(marker):
            return line
    raise RuntimeError(
        f"bpy script failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
