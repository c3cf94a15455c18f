"""Operators: submit, cancel, open the latest frame, download results; each hands real work to a thread."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, StringProperty

from . import launch, preferences, scene_snapshot
from .job_request import JobChoices, JobRequest, RequestError, resolve_farm
from .runner import RUNNER
from .settings import FILE_FORMATS, PLACEMENTS, POLICY_FOR_PLACEMENT


def online_refusal() -> str | None:
    """Blender's "Allow Online Access" governs interactive sessions; `--offline-mode` governs all of them.

    In the bpy module and with `blender -b`, preferences are not loaded and `bpy.app.online_access` is
    False unless `--online-mode` is given, so a script that asks for a submission is taken as consent,
    unless the command line said `--offline-mode` (`online_access_override` and not `online_access`).
    """
    app = bpy.app
    if getattr(app, "online_access", True):
        return None
    if getattr(app, "online_access_override", False):
        return "Blender was started with --offline-mode: restart it without that option to render on Hearth"
    if app.background:
        return None
    return (
        "Online access is disabled: enable Preferences > System > Network > Allow Online Access "
        "to render on Hearth"
    )


def bundled_import_error() -> str | None:
    missing = launch.missing_modules()
    if missing:
        return (
            f"Hearth's bundled libraries are missing ({', '.join(missing)}); reinstall the Hearth extension"
        )
    return None


class HEARTH_OT_submit(bpy.types.Operator):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    """Render the scene on the Hearth farm; frames are downloaded into the scene's output path"""

    bl_idname = "hearth.submit"
    bl_label = "Render on Hearth"
    bl_options = {"REGISTER"}

    frame_range: StringProperty(name="Frames", description="Empty: the Hearth panel's or the scene's")  # type: ignore[valid-type]
    wait: BoolProperty(  # type: ignore[valid-type]
        name="Wait", description="Block until the frames are downloaded (scripts)", options={"SKIP_SAVE"}
    )
    samples: IntProperty(name="Samples", min=0)  # type: ignore[valid-type]
    resolution_percent: IntProperty(name="Resolution %", min=0, max=100)  # type: ignore[valid-type]
    file_format: EnumProperty(items=FILE_FORMATS, name="Format")  # type: ignore[valid-type]
    camera: StringProperty(name="Camera")  # type: ignore[valid-type]
    priority: IntProperty(name="Priority", min=-100, max=100)  # type: ignore[valid-type]
    placement: EnumProperty(items=PLACEMENTS, name="Placement")  # type: ignore[valid-type]

    def _choice(self, scene: Any, name: str) -> Any:
        """The operator's own value when the caller set it, else the scene's Hearth panel value."""
        if self.properties.is_property_set(name):
            return getattr(self, name)
        value = getattr(scene.hearth, name)
        return value.name if name == "camera" and value is not None else (value or getattr(self, name))

    def invoke(self, context: Any, _event: Any) -> set[str]:
        hearth = context.scene.hearth
        for name in ("frame_range", "samples", "resolution_percent", "file_format", "priority", "placement"):
            setattr(self, name, getattr(hearth, name))
        self.camera = hearth.camera.name if hearth.camera else ""
        result: set[str] = context.window_manager.invoke_props_dialog(self, width=360)
        return result

    def execute(self, context: Any) -> set[str]:
        error = online_refusal() or bundled_import_error()
        if error:
            self.report({"ERROR"}, error)
            return {"CANCELLED"}
        if RUNNER.busy:
            self.report({"ERROR"}, "A Hearth job is already running; cancel it or wait for it to finish")
            return {"CANCELLED"}
        scene = context.scene
        # Dependencies are only listed here; the job's thread checks them on disk and stops on missing files.
        snap = scene_snapshot.snapshot(scene)
        try:
            prefs = preferences.get(context)
            login = resolve_farm(prefs.farm_url if prefs else "")
            choices = self._choices(scene, snap.default_frames)
            choices.check()
        except RequestError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        # bpy is not thread-safe, so the copy is saved here; it is the one slow step the main thread keeps.
        copy = scene_snapshot.save_copy(Path(tempfile.mkdtemp(prefix="hearth-submit-")))
        request = JobRequest(login, snap, copy, choices)
        RUNNER.last_login, RUNNER.last_output_dir = login, snap.output_dir
        RUNNER.start(lambda post: launch.submit_job(request, post))
        if not self.wait:
            self.report({"INFO"}, f"Submitting to {login.server} in the background")
            return {"FINISHED"}
        RUNNER.wait()
        state = RUNNER.state
        if not state.ok or state.task_state != "Success":
            self.report({"ERROR"}, state.error or state.status)
            return {"CANCELLED"}
        self.report({"INFO"}, f"{len(state.downloaded)} frame(s) downloaded into {snap.output_dir}")
        return {"FINISHED"}

    def _choices(self, scene: Any, default_frames: str) -> JobChoices:
        file_format = self._choice(scene, "file_format")
        return JobChoices(
            frames=self._choice(scene, "frame_range") or default_frames,
            samples=self._choice(scene, "samples") or None,
            resolution_percent=self._choice(scene, "resolution_percent") or None,
            file_format=None if file_format == "SCENE" else file_format,
            camera=self._choice(scene, "camera") or None,
            scene_name=scene.name,
            priority=self._choice(scene, "priority") or None,
            policy=POLICY_FOR_PLACEMENT[self._choice(scene, "placement")],
        )


class HEARTH_OT_cancel(bpy.types.Operator):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    """Stop uploading, or abort the task on the farm"""

    bl_idname = "hearth.cancel"
    bl_label = "Cancel Hearth Job"

    @classmethod
    def poll(cls, _context: Any) -> bool:
        return RUNNER.busy

    def execute(self, _context: Any) -> set[str]:
        RUNNER.cancel()
        return {"FINISHED"}


class HEARTH_OT_open_latest(bpy.types.Operator):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    """Show the most recently downloaded frame in an Image Editor"""

    bl_idname = "hearth.open_latest"
    bl_label = "Open Latest Frame"

    @classmethod
    def poll(cls, _context: Any) -> bool:
        return bool(RUNNER.state.latest_frame)

    def execute(self, context: Any) -> set[str]:
        path = RUNNER.state.latest_frame
        image = bpy.data.images.load(path, check_existing=True)
        image.reload()  # the same name may hold a newer download
        editors = [a for a in context.screen.areas if a.type == "IMAGE_EDITOR"] if context.screen else []
        if not editors and not bpy.app.background:
            bpy.ops.render.view_show("INVOKE_DEFAULT")  # opens an Image Editor as set in the preferences
            editors = [
                a for w in context.window_manager.windows for a in w.screen.areas if a.type == "IMAGE_EDITOR"
            ]
        for area in editors[:1]:
            area.spaces.active.image = image
        self.report({"INFO"}, f"Opened {path}")
        return {"FINISHED"}


class HEARTH_OT_download(bpy.types.Operator):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    """Download every finished frame of the last task into the scene's output path"""

    bl_idname = "hearth.download"
    bl_label = "Download Results"

    task_uuid: StringProperty(name="Task", description="Empty: the last task submitted from here")  # type: ignore[valid-type]

    def execute(self, context: Any) -> set[str]:
        error = online_refusal() or bundled_import_error()
        uuid = self.task_uuid or RUNNER.state.task_uuid
        if not error and not uuid:
            error = "No Hearth task yet: submit one first"
        if not error and RUNNER.busy:
            error = "A Hearth job is running; it downloads frames as they finish"
        if error:
            self.report({"ERROR"}, error)
            return {"CANCELLED"}
        try:
            prefs = preferences.get(context)
            login = RUNNER.last_login or resolve_farm(prefs.farm_url if prefs else "")
        except RequestError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        dest = Path(scene_snapshot.output_dir(context.scene))
        naming = scene_snapshot.frame_naming(context.scene)
        RUNNER.start(lambda post: launch.download_job(login, uuid, dest, post, naming), keep=True)
        return {"FINISHED"}


class HEARTH_OT_check_login(bpy.types.Operator):  # type: ignore[misc]  # noqa: N801 (Blender naming)
    """Check the farm login again (token and farm), in the background"""

    bl_idname = "hearth.check_login"
    bl_label = "Check Hearth Login"

    def execute(self, context: Any) -> set[str]:
        error = online_refusal() or bundled_import_error()
        try:
            prefs = preferences.get(context)
            login = resolve_farm(prefs.farm_url if prefs else "")
        except RequestError as exc:
            error = error or str(exc)
        if error:
            self.report({"ERROR"}, error)
            return {"CANCELLED"}
        RUNNER.check_login(login.server, lambda post: launch.login_check_job(login, post), force=True)
        return {"FINISHED"}


CLASSES = (
    HEARTH_OT_submit,
    HEARTH_OT_cancel,
    HEARTH_OT_open_latest,
    HEARTH_OT_download,
    HEARTH_OT_check_login,
)


def menu_entry(self: Any, _context: Any) -> None:
    self.layout.separator()
    self.layout.operator(HEARTH_OT_submit.bl_idname, text="Render on Hearth…", icon="RENDER_ANIMATION")


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.TOPBAR_MT_render.append(menu_entry)


def unregister() -> None:
    bpy.types.TOPBAR_MT_render.remove(menu_entry)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
