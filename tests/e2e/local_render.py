"""A direct local bpy render, the reference the farm's frames must match."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

RENDER_TIMEOUT_S = 120.0

_SCRIPT = r"""
import json, sys
import bpy
cfg = json.loads(sys.argv[1])
bpy.ops.wm.open_mainfile(filepath=cfg["blend"])
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = cfg["samples"]
scene.cycles.use_denoising = False
scene.render.image_settings.file_format = "PNG"
for frame in cfg["frames"]:
    scene.frame_set(frame)
    scene.render.filepath = f"{cfg['out']}/frame_{frame:04d}.png"
    bpy.ops.render.render(write_still=True)
"""


def render_locally(blend: Path, frames: list[int], out: Path, samples: int) -> dict[int, Path]:
    out.mkdir(parents=True, exist_ok=True)
    cfg = {"blend": str(blend), "frames": frames, "out": str(out), "samples": samples}
    subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(cfg)],
        check=True,
        capture_output=True,
        timeout=RENDER_TIMEOUT_S,
    )
    return {frame: out / f"frame_{frame:04d}.png" for frame in frames}


def max_pixel_difference(a: Path, b: Path) -> int:
    """Largest per-channel difference (0-255) between two images of the same size."""
    first = np.asarray(Image.open(a).convert("RGBA"), dtype=np.int16)
    second = np.asarray(Image.open(b).convert("RGBA"), dtype=np.int16)
    assert first.shape == second.shape, f"{a.name}: {first.shape} vs {second.shape}"
    return int(np.abs(first - second).max())
