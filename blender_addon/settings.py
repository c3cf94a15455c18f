"""Per-scene Hearth choices (saved in the .blend; never credentials)."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, IntProperty, PointerProperty, StringProperty

FILE_FORMATS = [
    ("SCENE", "As in Scene", "Use the scene's output format"),
    ("PNG", "PNG", ""),
    ("OPEN_EXR", "OpenEXR", ""),
    ("JPEG", "JPEG", ""),
    ("TIFF", "TIFF", ""),
]
PLACEMENTS = [
    ("GREENEST", "Greenest", "Render where the heat is wanted (heat-first placement)"),
    ("FASTEST", "Fastest", "Render on any free node, heat or not"),
]
POLICY_FOR_PLACEMENT = {"GREENEST": "heat-first", "FASTEST": "fastest"}


def _is_camera(_self: Any, obj: Any) -> bool:
    return bool(obj.type == "CAMERA")


class HearthSceneSettings(bpy.types.PropertyGroup):  # type: ignore[misc]
    frame_range: StringProperty(  # type: ignore[valid-type]
        name="Frames", description="Frames to render, such as 1-250 or 1-10,20; empty: the scene's range"
    )
    samples: IntProperty(  # type: ignore[valid-type]
        name="Samples", description="Cycles samples; 0: as in the scene", min=0, default=0
    )
    resolution_percent: IntProperty(  # type: ignore[valid-type]
        name="Resolution %", description="0: as in the scene", min=0, max=100, default=0, subtype="PERCENTAGE"
    )
    file_format: EnumProperty(items=FILE_FORMATS, name="Format", default="SCENE")  # type: ignore[valid-type]
    camera: PointerProperty(  # type: ignore[valid-type]
        type=bpy.types.Object, name="Camera", description="Empty: the scene camera", poll=_is_camera
    )
    priority: IntProperty(name="Priority", min=-100, max=100, default=0)  # type: ignore[valid-type]
    placement: EnumProperty(items=PLACEMENTS, name="Placement", default="GREENEST")  # type: ignore[valid-type]


def register() -> None:
    bpy.utils.register_class(HearthSceneSettings)
    bpy.types.Scene.hearth = PointerProperty(type=HearthSceneSettings)


def unregister() -> None:
    del bpy.types.Scene.hearth
    bpy.utils.unregister_class(HearthSceneSettings)
