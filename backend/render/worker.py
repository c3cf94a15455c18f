"""Renders the frames of one job spec inside Blender and reports progress as `@@HEARTH {json}` lines.

Runs in two hosts with the same arguments after `--`:

    python worker.py -- SPEC                                   (the `bpy` module, e.g. bpy 5.0.1)
    blender -b --python-exit-code 3 --python worker.py -- SPEC (a real Blender binary, 3.4 or newer)

SPEC is the path of a JSON job spec, or `-` to read the spec as JSON from stdin (then stdin carries no
control commands), or `wait`: start Blender before there is a job, then take the first stdin line,
`spec PATH`, as SPEC (stdin then carries control commands as usual; `quit` or EOF instead ends the
worker with exit code 0). A node keeps such a worker ready so a task's first frame skips start-up.
Spec keys (only `blend`, `output_dir` and `frames` are required):

    blend, scene, camera, engine ("CYCLES" | "BLENDER_EEVEE" | "BLENDER_WORKBENCH" | ...), samples,
    resolution_x, resolution_y, resolution_percentage, format ("PNG", "JPEG", "OPEN_EXR", ...),
    output_dir, frames [ints], threads, use_denoising (default false: many Blender builds lack OIDN),
    preview {max_size_px: 512, min_interval_s: 2.0, dir, draft: true}, control ("stdin" to accept
    `skip N` lines),
    serve (true: after `frames`, print `idle` and render each `frame N` line from stdin until `quit`/EOF,
    so one warm Blender renders frames as the node claims them).

Every event line starts with a newline because Blender 3.4 appends handler output to unfinished `Fra:`
lines. Exit codes: 0 all frames rendered, 2 job error (an `error` event says why). SIGTERM keeps its
default action, so it kills the process at once even while the render holds the main thread.

Progressive pixels: in background mode bpy 5.0.1 does not expose the in-progress image (measured: from
render_stats the "Render Result" is 0x0, `save_render` fails, and tiled Cycles keeps finished tiles in an
empty temp EXR until "Reading full buffer from disk"). So when the spec names a preview dir (and
`preview.draft` is not false), a frame first gets a draft: the same frame at preview size with one
sample (the worker's first frame always; later ones when the previous frame took two preview intervals
or more, as a shorter frame's thumbnail comes before a draft could be looked at), saved as a JPEG
and announced as `preview` with `final: false` before the real render starts, between `draft_start`
and `draft_end` (its `secs`; `frame_done.secs` includes it). Every setting the
draft touches is restored first, so the final pixels are those of a render without it (tested).
Further previews during a long render are not attempted: splitting the samples into passes needs the
passes merged outside Blender (not bit-identical to one render) and pays scene sync once per pass.
The finished frame's thumbnail follows as `preview` with `final: true`, rate limited to `min_interval_s`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import bpy

MARKER = "@@HEARTH"
WAIT_FOR_SPEC = "wait"
READY_PROCESS_NAME = "hearth-ready"
RENDER_PROCESS_NAME = "hearth-render"
EXIT_JOB_ERROR = 2
DEFAULT_PREVIEW_MAX_PX = 512
DEFAULT_PREVIEW_INTERVAL_S = 2.0
PROGRESS_MIN_INTERVAL_S = 0.2
THUMBNAIL_PREFIX = "thumb_"
DRAFT_PREFIX = "draft_"
_EEVEE_ENGINES = ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT")

_CYCLES_SAMPLE = re.compile(r"Sample (\d+)/(\d+)")
_CYCLES_TILES = re.compile(r"Rendered (\d+)/(\d+) Tiles")
_EEVEE_SAMPLE = re.compile(r"Rendering (\d+) / (\d+) samples")
# Older or newer Blenders may call EEVEE by its other id; accept either spelling.
_ENGINE_ALIASES = {"BLENDER_EEVEE": "BLENDER_EEVEE_NEXT", "BLENDER_EEVEE_NEXT": "BLENDER_EEVEE"}

_out_lock = threading.Lock()


class JobError(Exception):
    """A problem with the job (file, scene, settings) that the user must fix; not a worker bug."""


def emit(event: str, **fields: Any) -> None:
    """Prints one event line; called from the main thread and from Blender's render thread."""
    line = "\n" + MARKER + " " + json.dumps({"ev": event, **fields}, separators=(",", ":")) + "\n"
    with _out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def script_args(argv: list[str]) -> list[str]:
    """Arguments meant for this script: those after `--` (Blender's convention), else after argv[0]."""
    if "--" in argv:
        return argv[argv.index("--") + 1 :]
    return argv[1:]


def name_process(name: str) -> None:
    """Shows `name` as this process's name in `ps` and /proc/PID/comm (Linux; elsewhere a no-op).

    An operator (and a test) can then tell a Blender waiting for work from one rendering.
    """
    pr_set_name = 15
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(pr_set_name, name.encode()[:15], 0, 0, 0)


def wait_for_spec_path() -> str | None:
    """The PATH of the first `spec PATH` stdin line; None on `quit` or end of input."""
    for line in iter(sys.stdin.readline, ""):
        command, _, rest = line.strip().partition(" ")
        if command == "quit":
            return None
        if command == "spec" and rest:
            return rest
    return None


def read_spec(arg: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if arg == "-" else open(arg, encoding="utf-8").read()  # noqa: SIM115
        spec = json.loads(text)
    except (OSError, ValueError) as exc:
        raise JobError(f"cannot read the job spec {arg!r}: {exc}") from exc
    if not isinstance(spec, dict):
        raise JobError("the job spec must be a JSON object")
    for key in ("blend", "output_dir", "frames"):
        if key not in spec:
            raise JobError(f"the job spec lacks {key!r}")
    if not all(isinstance(f, int) for f in spec["frames"]):
        raise JobError("'frames' must be a list of integers")
    return spec


def open_blend(path: str) -> None:
    if not os.path.isfile(path):
        raise JobError(f"blend file not found: {path}")
    try:
        bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    except RuntimeError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise JobError(
            f"cannot open {path!r}: {detail} (corrupt, truncated, or saved by a newer Blender)"
        ) from exc


def pick_scene(name: str | None) -> Any:
    if not name:
        return bpy.context.scene
    scene = bpy.data.scenes.get(name)
    if scene is None:
        known = ", ".join(s.name for s in bpy.data.scenes)
        raise JobError(f"unknown scene {name!r}; the file has: {known}")
    return scene


def set_camera(scene: Any, name: str | None) -> None:
    if name:
        obj = bpy.data.objects.get(name)
        if obj is None or obj.type != "CAMERA":
            known = ", ".join(o.name for o in bpy.data.objects if o.type == "CAMERA")
            raise JobError(f"unknown camera {name!r}; cameras in the file: {known or 'none'}")
        scene.camera = obj
    if scene.camera is None:
        raise JobError(f"scene {scene.name!r} has no camera; pass one in the job spec")


def set_engine(scene: Any, engine: str | None) -> None:
    if not engine:
        return
    for candidate in (engine, _ENGINE_ALIASES.get(engine)):
        if candidate is None:
            continue
        try:
            scene.render.engine = candidate
            return
        except TypeError:
            continue
    known = ["BLENDER_EEVEE", "BLENDER_WORKBENCH"]
    for cls in bpy.types.RenderEngine.__subclasses__():
        idname = getattr(cls, "bl_idname", None)
        if idname and idname not in known:
            known.append(idname)
    raise JobError(f"unknown render engine {engine!r}; this Blender has: {', '.join(known)}")


def configure(scene: Any, spec: dict[str, Any]) -> None:
    set_engine(scene, spec.get("engine"))
    set_camera(scene, spec.get("camera"))
    render = scene.render
    if render.engine == "CYCLES":
        # Nodes have no GPU we could rely on; a .blend saved on a GPU workstation must not pick one.
        scene.cycles.device = "CPU"
        if spec.get("samples"):
            scene.cycles.samples = int(spec["samples"])
        scene.cycles.use_denoising = bool(spec.get("use_denoising", False))
    elif spec.get("samples") and hasattr(scene, "eevee"):
        scene.eevee.taa_render_samples = int(spec["samples"])
    for key in ("resolution_x", "resolution_y", "resolution_percentage"):
        if spec.get(key):
            setattr(render, key, int(spec[key]))
    if spec.get("threads"):
        render.threads_mode = "FIXED"
        render.threads = int(spec["threads"])
    fmt = spec.get("format") or "PNG"
    try:
        if hasattr(render.image_settings, "media_type"):
            # Blender 5.0 only offers multilayer EXR once the media type says so.
            render.image_settings.media_type = (
                "MULTI_LAYER_IMAGE" if fmt == "OPEN_EXR_MULTILAYER" else "IMAGE"
            )
        render.image_settings.file_format = fmt
    except TypeError as exc:
        raise JobError(f"unknown output format {fmt!r}") from exc
    if fmt.startswith("OPEN_EXR"):
        render.image_settings.color_depth = "32"
    render.use_file_extension = True


class ProgressReporter:
    """Turns render_stats strings into `progress` events, rate limited; runs on Blender's render thread."""

    def __init__(self) -> None:
        self.frame = 0
        # True while a draft renders: its "Sample 1/1" is not the frame's progress.
        self.muted = False
        self._last_emit = 0.0
        self._last_key: tuple[int, int] | None = None

    def start_frame(self, frame: int) -> None:
        self.frame = frame
        self._last_key = None
        self._last_emit = 0.0

    def __call__(self, *args: Any) -> None:
        # Blender 3.4 passes None instead of the text; there is nothing to parse then.
        text = args[0] if args and isinstance(args[0], str) else None
        if text is None or self.muted:
            return
        parsed = parse_stats(text)
        if parsed is None:
            return
        done, total, percent = parsed
        now = time.monotonic()
        final = done >= total and percent >= 100.0
        if (done, total) == self._last_key or (now - self._last_emit < PROGRESS_MIN_INTERVAL_S and not final):
            return
        self._last_key = (done, total)
        self._last_emit = now
        emit("progress", frame=self.frame, done=done, total=total, percent=round(percent, 1))


def parse_stats(text: str) -> tuple[int, int, float] | None:
    """(done, total, percent of the frame) from a Cycles or EEVEE stats string, or None."""
    match = _CYCLES_SAMPLE.search(text) or _EEVEE_SAMPLE.search(text)
    if match is None:
        return None
    done, total = int(match.group(1)), int(match.group(2))
    if total <= 0:
        return None
    fraction = min(done, total) / total
    tiles = _CYCLES_TILES.search(text)
    if tiles and int(tiles.group(2)) > 1:
        tiles_done, tiles_total = int(tiles.group(1)), int(tiles.group(2))
        fraction = min(1.0, (tiles_done + fraction) / tiles_total)
    return done, total, 100.0 * fraction


def make_thumbnail(src: str, dst: str, max_px: int) -> str:
    """Writes a JPEG of `src` at most `max_px` on its longest side, with Blender's own image API."""
    img = bpy.data.images.load(src, check_existing=False)
    try:
        width, height = int(img.size[0]), int(img.size[1])
        scale = min(1.0, max_px / max(width, height, 1))
        if scale < 1.0:
            img.scale(max(1, round(width * scale)), max(1, round(height * scale)))
        tmp = dst + ".partial.jpg"
        img.filepath_raw = tmp
        img.file_format = "JPEG"
        img.save()
        os.replace(tmp, dst)
    finally:
        bpy.data.images.remove(img)
    return dst


Override = tuple[Any, str, Any]


def draft_overrides(scene: Any, max_px: int) -> list[Override]:
    """(owner, attribute, value) changes for a quick one-sample render of at most `max_px`; never upscales."""
    render = scene.render
    changes: list[Override] = []
    longest = max(render.resolution_x, render.resolution_y) * render.resolution_percentage / 100
    if longest > max_px:
        changes.append(
            (render, "resolution_percentage", max(1, int(render.resolution_percentage * max_px / longest)))
        )
    if render.engine == "CYCLES":
        cycles = scene.cycles
        changes += [
            (cycles, "samples", 1),
            (cycles, "use_denoising", False),
            (cycles, "use_adaptive_sampling", False),
        ]
        for layer in scene.view_layers:
            # A view layer's own sample count (0 = the scene's) would beat the scene setting.
            if getattr(layer, "samples", 0):
                changes.append((layer, "samples", 1))
    elif render.engine in _EEVEE_ENGINES and hasattr(scene, "eevee"):
        changes.append((scene.eevee, "taa_render_samples", 1))
    return changes


@contextlib.contextmanager
def overridden(changes: list[Override]) -> Iterator[None]:
    """Applies `changes` and restores every previous value on the way out, even after an error."""
    saved: list[Override] = []
    try:
        for owner, attr, value in changes:
            saved.append((owner, attr, getattr(owner, attr)))
            setattr(owner, attr, value)
        yield
    finally:
        for owner, attr, value in reversed(saved):
            setattr(owner, attr, value)


class ControlChannel:
    """Reads stdin commands on a daemon thread: `skip N` (drop a pending frame), `frame N` (serve mode:
    render N next), `quit`. End of input counts as `quit`."""

    def __init__(self) -> None:
        self._skipped: set[int] = set()
        self._lock = threading.Lock()
        self._frames: queue.Queue[int | None] = queue.Queue()

    def start(self) -> None:
        threading.Thread(target=self._read, name="hearth-control", daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            parts = line.split()
            if parts == ["quit"]:
                break
            if len(parts) != 2 or parts[0] not in ("skip", "frame"):
                continue
            try:
                frame = int(parts[1])
            except ValueError:
                continue
            if parts[0] == "skip":
                with self._lock:
                    self._skipped.add(frame)
            else:
                self._frames.put(frame)
        self._frames.put(None)

    def is_skipped(self, frame: int) -> bool:
        with self._lock:
            return frame in self._skipped

    def next_frame(self) -> int | None:
        """Blocks until the node sends a frame; None when it says quit or closes stdin."""
        return self._frames.get()


def frame_name(frame: int) -> str:
    # Blender's #### pads to four digits and keeps the sign in front.
    return f"frame_{frame:04d}"


def frame_queue(spec: dict[str, Any], control: ControlChannel | None) -> Iterator[int]:
    """The spec's frames, then (serve mode) frames sent on stdin, announcing `idle` while waiting."""
    yield from spec["frames"]
    if not spec.get("serve") or control is None:
        return
    while True:
        emit("idle")
        frame = control.next_frame()
        if frame is None:
            return
        yield frame


class FrameRenderer:
    """Renders one frame to its final name: a draft preview first, then the frame and its thumbnail."""

    def __init__(self, scene: Any, spec: dict[str, Any]) -> None:
        self.scene = scene
        self.out_dir = os.path.abspath(spec["output_dir"])
        os.makedirs(self.out_dir, exist_ok=True)
        preview = spec.get("preview") or {}
        self.draft = bool(preview.get("dir")) and bool(preview.get("draft", True))
        self.preview_dir = os.path.abspath(preview.get("dir") or os.path.join(self.out_dir, "previews"))
        os.makedirs(self.preview_dir, exist_ok=True)
        self.max_px = int(preview.get("max_size_px") or DEFAULT_PREVIEW_MAX_PX)
        self.interval_s = float(preview.get("min_interval_s", DEFAULT_PREVIEW_INTERVAL_S))
        # A draft costs a second scene sync; it is worth it only if the frame renders long enough to be
        # looked at. The worker's first frame always gets one; later frames only when the previous one
        # took two preview intervals or more, which also keeps drafts at most one per interval.
        self.min_draft_frame_s = 2 * self.interval_s
        self.last_frame_s: float | None = None
        self.reporter = ProgressReporter()
        bpy.app.handlers.render_stats.append(self.reporter)
        self.ext = scene.render.file_extension
        self.last_preview = -1e9

    def render(self, frame: int) -> None:
        scene = self.scene
        self.reporter.start_frame(frame)
        emit("frame_start", frame=frame)
        started = time.monotonic()
        scene.frame_set(frame)
        if self.draft and (self.last_frame_s is None or self.last_frame_s >= self.min_draft_frame_s):
            self.render_draft(frame)
        final = os.path.join(self.out_dir, frame_name(frame) + self.ext)
        # Render to a hidden name and rename, so a killed worker never leaves a plausible half-frame.
        partial = os.path.join(self.out_dir, "." + frame_name(frame) + ".partial" + self.ext)
        scene.render.filepath = partial
        bpy.ops.render.render(write_still=True, scene=scene.name)
        if not os.path.isfile(partial):
            raise JobError(f"Blender wrote no image for frame {frame} (see the log above)")
        os.replace(partial, final)
        secs = time.monotonic() - started
        self.last_frame_s = secs
        thumb_path = os.path.join(self.preview_dir, THUMBNAIL_PREFIX + frame_name(frame) + ".jpg")
        thumb = make_thumbnail(final, thumb_path, self.max_px)
        now = time.monotonic()
        if now - self.last_preview >= self.interval_s:
            self.last_preview = now
            emit("preview", frame=frame, path=thumb, final=True)
        emit("frame_done", frame=frame, path=final, secs=round(secs, 3), thumbnail=thumb)

    def render_draft(self, frame: int) -> None:
        """Renders `frame` at preview size with one sample and announces its JPEG as a progressive preview.

        A failed draft is only reported on stderr: the real render must run either way.
        """
        emit("draft_start", frame=frame)
        started = time.monotonic()
        name = DRAFT_PREFIX + frame_name(frame)
        partial = os.path.join(self.preview_dir, "." + name + ".partial" + self.ext)
        jpeg = os.path.join(self.preview_dir, name + ".jpg")
        changes = [*draft_overrides(self.scene, self.max_px), (self.scene.render, "filepath", partial)]
        ok = False
        self.reporter.muted = True
        try:
            with overridden(changes):
                bpy.ops.render.render(write_still=True, scene=self.scene.name)
            if os.path.isfile(partial):
                make_thumbnail(partial, jpeg, self.max_px)
                ok = True
            else:
                print(f"hearth: the draft of frame {frame} wrote no image", file=sys.stderr, flush=True)
        except Exception as exc:
            print(f"hearth: the draft of frame {frame} failed: {exc!r}", file=sys.stderr, flush=True)
        finally:
            self.reporter.muted = False
            with contextlib.suppress(OSError):
                os.remove(partial)
        if ok:
            emit("preview", frame=frame, path=jpeg, final=False)
        emit("draft_end", frame=frame, ok=ok, secs=round(time.monotonic() - started, 3))


def render_frames(scene: Any, spec: dict[str, Any], control: ControlChannel | None) -> int:
    renderer = FrameRenderer(scene, spec)
    done = 0
    for frame in frame_queue(spec, control):
        if control is not None and control.is_skipped(frame):
            emit("frame_skipped", frame=frame)
            continue
        renderer.render(frame)
        done += 1
    return done


def main(argv: list[str]) -> int:
    # Keep SIGTERM fatal: a Python-level handler would wait for the render to return control.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    args = script_args(argv)
    emit("started", pid=os.getpid(), blender=bpy.app.version_string)
    try:
        if len(args) != 1:
            raise JobError(f"usage: worker.py -- SPEC_JSON_PATH | - | {WAIT_FOR_SPEC}")
        spec_arg: str | None = args[0]
        if spec_arg == WAIT_FOR_SPEC:
            name_process(READY_PROCESS_NAME)
            spec_arg = wait_for_spec_path()
            if spec_arg is None:
                return 0  # the node let its ready worker go unused
            name_process(RENDER_PROCESS_NAME)
        spec = read_spec(spec_arg)
        control = None
        if (spec.get("control") == "stdin" or spec.get("serve")) and spec_arg != "-":
            control = ControlChannel()
            control.start()
        open_blend(os.path.abspath(spec["blend"]))
        scene = pick_scene(spec.get("scene"))
        configure(scene, spec)
        emit(
            "ready",
            scene=scene.name,
            engine=scene.render.engine,
            camera=scene.camera.name,
            resolution=[
                scene.render.resolution_x,
                scene.render.resolution_y,
                scene.render.resolution_percentage,
            ],
        )
        done = render_frames(scene, spec, control)
    except JobError as exc:
        emit("error", message=str(exc))
        return EXIT_JOB_ERROR
    except Exception as exc:
        emit("error", message=f"worker failure: {exc!r}", traceback=traceback.format_exc(limit=5))
        return EXIT_JOB_ERROR
    emit("finished", frames_done=done)
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    if code:
        # Inside `blender -b` SystemExit ends Blender with this code; under bpy it is a normal exit.
        sys.exit(code)
