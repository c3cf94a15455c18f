"""Scene -> farm task: pack, sync to the scene's input bucket, make a result bucket, submit the task body."""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from render_client.api import FarmClient
from render_client.errors import HearthError
from render_client.frames import FrameRangeError, format_frames, parse_frames
from render_client.models import Task
from render_client.packing import build_package, trace
from render_client.packing_report import Package, PackReport
from render_client.progress import ProgressCallback
from render_client.sync import DEFAULT_WORKERS, SyncResult, sync_package
from render_client.transfer import ensure_bucket

BUCKET_PREFIX = "hearth"
MAX_SLUG_CHARS = 30
POLICIES = ("heat-first", "fastest")
ENGINES = ("CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")
# The choices of BLEND_FORMAT in the farm's "blender" profile (resources/profiles/blender.json), kept in step
# by a test: checked here so a typo is refused before gigabytes are uploaded.
FORMATS = ("PNG", "JPEG", "OPEN_EXR", "EXR", "MULTILAYER", "OPEN_EXR_MULTILAYER", "TIFF", "TGA", "WEBP")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_SLUG_CHARS].strip("-") or "scene"


def input_bucket_name(scene: Path) -> str:
    """`hearth-<slug>-<8 hex of the absolute path>`: stable per scene, DNS-safe, at most 63 characters."""
    scene = scene.absolute()
    digest = hashlib.sha256(str(scene).encode()).hexdigest()[:8]
    name = scene.stem if scene.suffix == ".blend" else scene.name
    return f"{BUCKET_PREFIX}-{_slug(name)}-{digest}"


def result_bucket_name(scene: Path) -> str:
    """A fresh bucket per task: `hearth-<slug>-out-<10 hex>`."""
    name = scene.stem if scene.suffix == ".blend" else scene.absolute().name
    return f"{BUCKET_PREFIX}-{_slug(name)}-out-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class RenderSettings:
    """What the artist chose; None means "as saved in the scene"."""

    frames: str
    name: str | None = None
    engine: str | None = None
    samples: int | None = None
    resolution_percent: int | None = None
    file_format: str | None = None
    camera: str | None = None
    scene_name: str | None = None
    priority: int | None = None
    policy: str = "heat-first"

    def check(self) -> list[int]:
        """The frames, or a HearthError naming the setting that is wrong."""
        try:
            frames = parse_frames(self.frames)
        except FrameRangeError as exc:
            raise HearthError(f"{exc}; write frames such as 1-250 or 1-10,20") from None
        if self.policy not in POLICIES:
            raise HearthError(f"policy {self.policy!r} is unknown; use one of {', '.join(POLICIES)}")
        if self.engine is not None and self.engine.upper() not in ENGINES:
            raise HearthError(f"engine {self.engine!r} is unknown; use one of {', '.join(ENGINES)}")
        if self.file_format is not None and self.file_format.upper() not in FORMATS:
            raise HearthError(f"format {self.file_format!r} is unknown; use one of {', '.join(FORMATS)}")
        if self.priority is not None and not -100 <= self.priority <= 100:
            raise HearthError("priority must be between -100 and 100")
        if self.resolution_percent is not None and not 1 <= self.resolution_percent <= 100:
            raise HearthError("the resolution percentage must be between 1 and 100")
        if self.samples is not None and self.samples < 1:
            raise HearthError("samples must be at least 1")
        return frames


def task_body(
    settings: RenderSettings, main_blend: str, input_bucket: str, result_bucket: str, default_name: str
) -> dict[str, Any]:
    """The Qarnot task JSON (profile "blender", one instance per frame) with Hearth's own fields."""
    frames = settings.check()
    constants = {
        "BLEND_FILE": main_blend,
        "BLEND_ENGINE": settings.engine.upper() if settings.engine else None,
        "BLEND_CYCLES_SAMPLES": settings.samples,
        "BLEND_RATIO": settings.resolution_percent,
        "BLEND_FORMAT": settings.file_format.upper() if settings.file_format else None,
        "BLEND_CAMERA": settings.camera,
        "BLEND_SCENE": settings.scene_name,
        "HEARTH_POLICY": settings.policy,
    }
    body: dict[str, Any] = {
        "name": settings.name or default_name,
        "profile": "blender",
        "advancedRanges": format_frames(frames),
        "constants": [{"key": k, "value": str(v)} for k, v in constants.items() if v not in (None, "")],
        "advancedResourceBuckets": [{"bucketName": input_bucket}],
        "resultBucket": result_bucket,
        "tags": ["hearth"],
    }
    if settings.priority is not None:
        body["hearthPriority"] = settings.priority
    return body


@dataclass(frozen=True)
class Submission:
    report: PackReport
    package: Package
    sync: SyncResult
    input_bucket: str
    result_bucket: str
    task: Task


def submit_scene(
    farm: FarmClient,
    s3: Any,
    scene: Path,
    settings: RenderSettings,
    staging_dir: Path,
    *,
    report: PackReport | None = None,
    allow_missing: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Submission:
    """Pack -> sync -> result bucket -> POST /tasks. Settings are checked before anything is uploaded."""
    settings.check()
    report = report or trace(scene)
    package = build_package(report, staging_dir, allow_missing=allow_missing)
    input_bucket = input_bucket_name(scene)
    ensure_bucket(s3, input_bucket)
    synced = sync_package(s3, input_bucket, package, progress=progress, cancel=cancel, workers=workers)
    result_bucket = result_bucket_name(scene)
    ensure_bucket(s3, result_bucket)
    name = scene.stem if scene.suffix == ".blend" else scene.absolute().name
    body = task_body(settings, package.main_blend, input_bucket, result_bucket, default_name=name)
    task = farm.submit(body)
    return Submission(report, package, synced, input_bucket, result_bucket, task)
