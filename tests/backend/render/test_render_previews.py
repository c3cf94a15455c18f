"""Draft previews: a quick one-sample render shown before each frame renders, leaving its pixels alone."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from PIL import Image

from backend.node.blender_runner import WORKER_SCRIPT, BlenderRunner, BlenderSession
from backend.node.worker_protocol import (
    DraftEnd,
    DraftStart,
    FrameDone,
    Preview,
    PreviewSettings,
    Progress,
    WorkerEvent,
)
from tests.backend.render.conftest import Recorder, spec_for


def frame_events(rec: Recorder, frame: int) -> list[WorkerEvent]:
    return [e for e in rec.events if getattr(e, "frame", None) == frame]


def test_a_draft_preview_arrives_before_each_frame_renders(blend: Path, tmp_path: Path) -> None:
    rec = Recorder()
    on_disk: list[bool] = []
    rec.hooks.append(lambda e: on_disk.append(e.path.is_file()) if isinstance(e, Preview) else None)
    with BlenderSession(spec_for(blend, tmp_path, (), samples=8), rec) as session:
        outcomes = [session.render(frame, timeout_s=60) for frame in (2, 1)]
    assert [o.ok for o in outcomes] == [True, True]
    assert on_disk and all(on_disk), "a preview's JPEG is in place when its event arrives"
    for frame in (2, 1):
        events = frame_events(rec, frame)
        drafts = [e for e in events if isinstance(e, Preview) and not e.final]
        assert len(drafts) == 1, events
        first_progress = next(i for i, e in enumerate(events) if isinstance(e, Progress))
        done = next(i for i, e in enumerate(events) if isinstance(e, FrameDone))
        # Shown before the real render starts, so well before the frame ends.
        assert events.index(drafts[0]) < first_progress < done
        # The draft's own "Sample 1/1" never passes for the frame's progress.
        assert all(e.total == 8 for e in events if isinstance(e, Progress))
        with Image.open(drafts[0].path) as img:
            assert img.format == "JPEG" and img.size == (64, 36)  # small frames are never upscaled
        end = next(e for e in events if isinstance(e, DraftEnd))
        assert end.ok and end.secs > 0


def test_a_draft_is_scaled_down_to_the_preview_size(blend: Path, tmp_path: Path) -> None:
    # 128x72 at 50 % renders 64x36; a 40 px preview is 31 % of 128x72, i.e. 39x22.
    spec = replace(
        spec_for(blend, tmp_path, (1,), samples=2),
        resolution_x=128,
        resolution_y=72,
        resolution_percentage=50,
        preview=PreviewSettings(dir=tmp_path / "p", max_size_px=40, min_interval_s=0.0),
    )
    rec = Recorder()
    assert BlenderRunner(spec, rec).run().ok
    draft = next(e for e in rec.of(Preview) if not e.final)
    with Image.open(draft.path) as img:
        assert img.format == "JPEG" and img.size == (39, 22)
    with Image.open(tmp_path / "frame_0001.png") as img:
        assert img.size == (64, 36)  # the real render got its resolution back


def test_a_1080p_draft_stays_within_512_px(blend: Path, tmp_path: Path) -> None:
    # The real 1920x1080 frame is cancelled as soon as its draft is in: the draft is what is tested.
    spec = replace(spec_for(blend, tmp_path, (), samples=1), resolution_x=1920, resolution_y=1080)
    rec = Recorder()
    rec.hooks.append(lambda e: session.cancel_frame() if isinstance(e, DraftEnd) else None)
    session = BlenderSession(spec, rec, grace_s=2.0)
    with session:
        outcome = session.render(1, timeout_s=120)
    assert outcome.cancelled or outcome.ok
    draft = next(e for e in rec.of(Preview) if not e.final)
    with Image.open(draft.path) as img:
        assert img.format == "JPEG" and max(img.size) <= 512 and img.size[0] >= 480


def render_pixels(blend: Path, out: Path, preview: PreviewSettings) -> tuple[Recorder, list[bytes]]:
    # Denoising on and 16 noisy samples: a sample count, resolution or denoiser setting that the
    # draft failed to restore would change pixels (the next test covers what pixels may not show).
    spec = replace(spec_for(blend, out, (1, 3), samples=16, use_denoising=True), preview=preview)
    rec = Recorder()
    result = BlenderRunner(spec, rec).run()
    assert result.ok, (result.error, result.stderr_tail[-10:])
    pixels = []
    for frame in (1, 3):
        with Image.open(out / f"frame_{frame:04d}.png") as img:
            assert img.size == (64, 36)
            pixels.append(img.tobytes())
    return rec, pixels


def test_final_pixels_are_identical_with_and_without_drafts(blend: Path, tmp_path: Path) -> None:
    with_rec, with_draft = render_pixels(
        blend, tmp_path / "on", PreviewSettings(dir=tmp_path / "on-p", max_size_px=32, min_interval_s=0.0)
    )
    without_rec, without_draft = render_pixels(
        blend, tmp_path / "off", PreviewSettings(dir=tmp_path / "off-p", min_interval_s=0.0, draft=False)
    )
    assert [e.frame for e in with_rec.of(DraftStart)] == [1, 3]
    assert [e.frame for e in with_rec.of(Preview) if not e.final] == [1, 3]
    assert not without_rec.of(DraftStart)
    assert [e.final for e in without_rec.of(Preview)] == [True, True]
    assert with_draft == without_draft


# Runs in a bpy subprocess: the worker's draft settings go on, then every one comes back, error or not.
RESTORE_CHECK = r"""
import json, sys
import bpy
sys.path.insert(0, sys.argv[1])
import worker

bpy.ops.wm.open_mainfile(filepath=sys.argv[2], load_ui=False)
scene = bpy.context.scene
scene.render.resolution_percentage = 80
scene.cycles.use_denoising = True
scene.view_layers[0].samples = 48
changes = worker.draft_overrides(scene, 32)
watched = sorted({(type(o).__name__, a) for o, a, _ in changes})
before = [getattr(o, a) for o, a, _ in changes]
with worker.overridden(changes):
    during = [getattr(o, a) for o, a, _ in changes]
try:
    with worker.overridden(changes):
        raise RuntimeError("render failed")
except RuntimeError:
    pass
after = [getattr(o, a) for o, a, _ in changes]
print("RESULT " + json.dumps({"watched": watched, "before": before, "during": during, "after": after}))
"""


def test_every_setting_the_draft_touches_is_restored(blend: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", RESTORE_CHECK, str(WORKER_SCRIPT.parent), str(blend)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(line[len("RESULT ") :])
    assert [tuple(w) for w in result["watched"]] == [
        ("CyclesRenderSettings", "samples"),
        ("CyclesRenderSettings", "use_adaptive_sampling"),
        ("CyclesRenderSettings", "use_denoising"),
        ("RenderSettings", "resolution_percentage"),
        ("ViewLayer", "samples"),
    ]
    assert result["during"] != result["before"]
    assert result["after"] == result["before"]


def test_frames_too_short_to_watch_get_no_draft_after_the_first(blend: Path, tmp_path: Path) -> None:
    # Tiny frames render in well under two 5 s preview intervals: only the worker's first frame drafts.
    settings = PreviewSettings(dir=tmp_path / "p", min_interval_s=5.0)
    rec = Recorder()
    with BlenderSession(replace(spec_for(blend, tmp_path, ()), preview=settings), rec) as session:
        outcomes = [session.render(frame, timeout_s=60) for frame in (1, 2, 3)]
    assert [o.ok for o in outcomes] == [True, True, True]
    drafted = [e.frame for e in rec.of(DraftStart)]
    assert drafted == [1]
    assert len(rec.of(FrameDone)) == 3
