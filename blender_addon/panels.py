"""The Hearth panel in Output Properties: farm, choices, actions, live progress and carbon facts."""

from __future__ import annotations

from typing import Any

import bpy

from . import launch, operators, preferences
from .job_request import RequestError, resolve_farm
from .runner import RUNNER

SHOWN_FRAMES = 4
SHOWN_LINES = 6


def login_line(context: Any) -> tuple[str, str]:
    """(text, icon) for the farm and its login; the check itself runs on a thread (keyring, network)."""
    prefs = preferences.get(context)
    try:
        login = resolve_farm(prefs.farm_url if prefs else "")
    except RequestError:
        return "No farm: set its URL in the add-on preferences", "ERROR"
    refusal = operators.online_refusal() or operators.bundled_import_error()
    if refusal:
        return f"{login.server}: not checked ({refusal})", "INFO"
    RUNNER.check_login(login.server, lambda post: launch.login_check_job(login, post))
    state = RUNNER.state
    if state.login_server != login.server or state.login_ok is None:
        return f"{login.server}: checking the login…", "TIME"
    return f"{login.server}: {state.login_text}", "CHECKMARK" if state.login_ok else "ERROR"


class RENDER_PT_hearth(bpy.types.Panel):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    bl_label = "Hearth Render Farm"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "output"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: Any) -> None:
        layout = self.layout
        hearth = context.scene.hearth
        text, icon = login_line(context)
        row = layout.row()
        row.label(text=text, icon=icon)
        row.operator("hearth.check_login", text="", icon="FILE_REFRESH")
        col = layout.column()
        col.prop(hearth, "frame_range", placeholder=f"{context.scene.frame_start}-{context.scene.frame_end}")
        col.prop(hearth, "samples")
        col.prop(hearth, "resolution_percent")
        col.prop(hearth, "file_format")
        col.prop(hearth, "camera")
        col.prop(hearth, "priority")
        col.prop(hearth, "placement", expand=True)
        row = layout.row(align=True)
        row.operator("hearth.submit", text="Submit", icon="RENDER_ANIMATION")
        row.operator("hearth.cancel", text="Cancel", icon="CANCEL")
        row = layout.row(align=True)
        row.operator("hearth.open_latest", icon="IMAGE")
        row.operator("hearth.download", icon="IMPORT")
        self.draw_state(layout)

    def draw_state(self, layout: Any) -> None:
        state = RUNNER.state
        if not state.status:
            return
        box = layout.box()
        box.label(text=state.status, icon="ERROR" if state.error else "INFO")
        if state.running and 0.0 < state.upload_fraction < 1.0 and not state.task_uuid:
            box.progress(factor=state.upload_fraction, text="Upload")
        if state.frames_total:
            box.progress(
                factor=state.frames_done / state.frames_total,
                text=f"{state.frames_done}/{state.frames_total} frames",
            )
        for frame, fraction in sorted(state.frame_progress.items())[:SHOWN_FRAMES]:
            box.progress(factor=fraction, text=f"Frame {frame}")
        for path in state.missing[:SHOWN_LINES]:
            box.label(text=f"Missing: {path}", icon="LIBRARY_DATA_BROKEN")
        for warning in state.warnings[:SHOWN_LINES]:
            box.label(text=warning, icon="ERROR")
        if state.carbon:
            facts = layout.box()
            facts.label(text="Carbon facts", icon="WORLD")
            for line in state.carbon:
                facts.label(text=line)


def register() -> None:
    bpy.utils.register_class(RENDER_PT_hearth)


def unregister() -> None:
    bpy.utils.unregister_class(RENDER_PT_hearth)
