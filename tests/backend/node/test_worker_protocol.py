"""The @@HEARTH line parser and the job-spec builder."""

from __future__ import annotations

import json
from pathlib import Path

from backend.node.worker_protocol import (
    DraftEnd,
    DraftStart,
    FrameDone,
    JobSpec,
    PreviewSettings,
    Progress,
    UnknownEvent,
    WorkerError,
    parse_blender_status,
    parse_line,
)


def test_parses_a_progress_line() -> None:
    event = parse_line('@@HEARTH {"ev":"progress","frame":3,"done":4,"total":16,"percent":25.0}')
    assert event == Progress(frame=3, done=4, total=16, percent=25.0)


def test_finds_the_marker_mid_line_as_blender_3_4_glues_it() -> None:
    line = (
        "Fra:1 Mem:12.32M (Peak 14.08M) | Time:00:00.23 | Sample 16/16"
        '@@HEARTH {"ev":"frame_done","frame":1,"path":"/o/frame_0001.png","secs":0.5,"thumbnail":null}'
        " trailing junk"
    )
    assert parse_line(line) == FrameDone(frame=1, path=Path("/o/frame_0001.png"), secs=0.5, thumbnail=None)


def test_ignores_plain_output_and_broken_json() -> None:
    assert parse_line("00:00.753  render           | Saved: 'out/frame_0001.png'") is None
    assert parse_line("@@HEARTH {not json") is None
    assert parse_line("@@HEARTH [1, 2]") is None
    # A broken first marker does not hide a good second one.
    assert parse_line('@@HEARTH {oops @@HEARTH {"ev":"error","message":"boom"}') == WorkerError(
        message="boom"
    )


def test_unknown_and_malformed_events_are_kept_not_raised() -> None:
    assert parse_line('@@HEARTH {"ev":"future_thing","x":1}') == UnknownEvent(
        ev="future_thing", data={"ev": "future_thing", "x": 1}
    )
    malformed = parse_line('@@HEARTH {"ev":"progress","frame":"three"}')
    assert isinstance(malformed, UnknownEvent) and malformed.ev == "progress"


def test_job_spec_json_has_the_worker_keys_and_omits_unset_ones(tmp_path: Path) -> None:
    spec = JobSpec(
        blend=tmp_path / "a.blend",
        output_dir=tmp_path / "out",
        frames=(1, 2, 5),
        engine="CYCLES",
        samples=8,
        threads=1,
        preview=PreviewSettings(dir=tmp_path / "prev", max_size_px=256, min_interval_s=1.5),
    )
    data = json.loads(spec.to_json())
    assert data["blend"] == str(tmp_path / "a.blend")
    assert data["frames"] == [1, 2, 5]
    assert data["preview"] == {
        "dir": str(tmp_path / "prev"),
        "max_size_px": 256,
        "min_interval_s": 1.5,
        "draft": True,
    }
    assert data["format"] == "PNG" and data["use_denoising"] is False
    assert "camera" not in data and "scene" not in data
    assert spec.with_frames([7]).frames == (7,)


def test_blender_status_lines_become_progress() -> None:
    cycles = "Fra:12 Mem:12.32M (Peak 14.08M) | Time:00:00.23 | Scene, ViewLayer | Sample 4/16"
    assert parse_blender_status(cycles) == Progress(frame=12, done=4, total=16, percent=25.0)
    eevee = "Fra:1 Mem:11.17M (Peak 12.28M) | Time:00:01.31 | Rendering 1 / 16 samples"
    assert parse_blender_status(eevee) == Progress(frame=1, done=1, total=16, percent=6.2)
    assert parse_blender_status("Fra:1 Mem:11.17M | Time:00:01.31 | Synchronizing object | Cube") is None
    assert parse_blender_status("Remaining: 00:01 | Sample 3/16") is None  # not a Fra: status line
    glued = cycles + '@@HEARTH {"ev":"progress","frame":12,"done":9,"total":16,"percent":56.2}'
    assert parse_blender_status(glued) == Progress(frame=12, done=4, total=16, percent=25.0)


def test_draft_events_and_the_draft_switch(tmp_path: Path) -> None:
    assert parse_line('@@HEARTH {"ev":"draft_start","frame":4}') == DraftStart(frame=4)
    assert parse_line('@@HEARTH {"ev":"draft_end","frame":4,"ok":false,"secs":0.25}') == DraftEnd(
        frame=4, ok=False, secs=0.25
    )
    off = JobSpec(
        blend=tmp_path / "a.blend", output_dir=tmp_path, frames=(1,), preview=PreviewSettings(draft=False)
    )
    assert json.loads(off.to_json())["preview"]["draft"] is False
