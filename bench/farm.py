"""Farm benchmark: 12 frames of about 2 s on a local farm of 2 heater nodes, against the ideal.

The ideal is the sum of direct local render times of the same frames (one bpy process on one
core, as each local node renders) divided by the 2 nodes. A direct render using every core of the
machine, what the artist would otherwise do, is measured too. Also measured: the latency from
submit to the first frame starting, and from a frame's last progress report to its final
preview event.

"First frame started" is the first frame-progress event: Blender has rendered a sample, so the
frame is really rendering. The Executing task state comes earlier (the node reports `started`
before Blender loads the scene) and is printed too, labelled as such, never as the frame start.

Run: .venv/bin/python bench/farm.py [--frames 12] [--samples 160]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from render_client.events import EventStream, FarmEvent  # noqa: E402
from tests.e2e.farm_client import Farm  # noqa: E402
from tests.farm_harness import start_farm_process, stop_process  # noqa: E402
from tests.scenes import make_textured_scene  # noqa: E402

WIDTH, HEIGHT = 320, 180
NODES = 2

LOCAL_RENDER = r"""
import json, sys, time
import bpy
cfg = json.loads(sys.argv[1])
bpy.ops.wm.open_mainfile(filepath=cfg["blend"])
scene = bpy.context.scene
scene.cycles.samples = cfg["samples"]
scene.render.resolution_x, scene.render.resolution_y = cfg["w"], cfg["h"]
scene.render.threads_mode = "FIXED"
scene.render.threads = 1
times = []
for frame in cfg["frames"]:
    scene.frame_set(frame)
    scene.render.filepath = f"{cfg['out']}/frame_{frame:04d}.png"
    start = time.perf_counter()
    bpy.ops.render.render(write_still=True)
    times.append(time.perf_counter() - start)
print("TIMES", json.dumps(times))
"""


def local_render_times(blend: Path, frames: list[int], samples: int, out: Path) -> list[float]:
    cfg = {
        "blend": str(blend),
        "frames": frames,
        "samples": samples,
        "w": WIDTH,
        "h": HEIGHT,
        "out": str(out),
    }
    # On one core, as each local node renders: an unpinned 1-thread Blender still spreads its
    # spin-waiting helper threads over every core, which no node can do while another renders.
    one_core = {min(os.sched_getaffinity(0))}
    result = subprocess.run(
        [sys.executable, "-c", LOCAL_RENDER, json.dumps(cfg)],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, one_core),
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("TIMES "))
    times: list[float] = json.loads(line[len("TIMES ") :])
    return times


def whole_machine_local_wall(blend: Path, frames: list[int], samples: int, out: Path) -> float:
    """One direct bpy render of every frame with Blender's default threads: the artist's local render here."""
    script = LOCAL_RENDER.replace('scene.render.threads_mode = "FIXED"', 'scene.render.threads_mode = "AUTO"')
    cfg = {
        "blend": str(blend),
        "frames": frames,
        "samples": samples,
        "w": WIDTH,
        "h": HEIGHT,
        "out": str(out),
    }
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", script, json.dumps(cfg)], capture_output=True, check=True)
    return time.monotonic() - started


class Recorder:
    """Receives events and downloads each frame as soon as it is done, timestamping everything."""

    def __init__(self, farm: Farm, bucket: str, dest: Path, frames: int) -> None:
        self.farm, self.bucket, self.dest, self.frames = farm, bucket, dest, frames
        self.events: list[tuple[float, FarmEvent]] = []
        self.downloaded: dict[int, float] = {}
        self.all_done = threading.Event()
        self.task: str | None = None

    def __call__(self, event: FarmEvent) -> None:
        now = time.monotonic()
        self.events.append((now, event))
        if event.kind == "frame-done" and event.task == self.task:
            for key in event.data["outputs"]:
                self.farm.s3.download_file(self.bucket, key, str(self.dest / key))
            self.downloaded[event.data["frame"]] = time.monotonic()
            if len(self.downloaded) == self.frames:
                self.all_done.set()


def first(recorder: Recorder, predicate: Any) -> float:
    return next(t for t, e in recorder.events if predicate(e))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--samples", type=int, default=160)
    args = parser.parse_args()
    frames = list(range(1, args.frames + 1))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        blend = make_textured_scene(
            tmp / "scene", frame_start=1, frame_end=args.frames, width=WIDTH, height=HEIGHT
        )
        (tmp / "local").mkdir()
        local = local_render_times(blend, frames, args.samples, tmp / "local")
        ideal = sum(local) / NODES
        whole_machine = whole_machine_local_wall(blend, frames, args.samples, tmp / "local")

        process, ready = start_farm_process(tmp / "farm", nodes=NODES)
        try:
            creds = json.loads(Path(ready["credentials"]).read_text())
            farm = Farm(ready, creds["email"], creds["token"])
            farm.upload_folder("bench-scene", tmp / "scene")
            (tmp / "out").mkdir()
            recorder = Recorder(farm, "bench-scene-out", tmp / "out", args.frames)
            stream = EventStream(farm.url, farm.token)
            stream.start(recorder)
            stream.connected.wait(10)
            submitted = time.monotonic()
            recorder.task = farm.submit(
                "bench", f"1-{args.frames}", "bench-scene", blend.name,
                BLEND_CYCLES_SAMPLES=str(args.samples), BLEND_W=str(WIDTH), BLEND_H=str(HEIGHT),
            )  # fmt: skip
            if not recorder.all_done.wait(600):
                raise SystemExit("the farm did not finish within 10 minutes")
            wall = max(recorder.downloaded.values()) - submitted
            stream.close()
        finally:
            stop_process(process)

    task = recorder.task
    executing = first(
        recorder, lambda e: e.task == task and e.kind == "task-state" and "Executing" in e.data["state"]
    )
    rendering = first(recorder, lambda e: e.task == task and e.kind == "frame-progress")
    done_events = [e for _, e in recorder.events if e.task == task and e.kind == "frame-done"]
    farm_frame_s = sum(e.data["renderTimeS"] for e in done_events) / len(done_events)
    preview_lags = []
    for frame in frames:
        last_progress = [t for t, e in recorder.events if e.task == task and e.kind == "frame-progress"
                         and e.data["frame"] == frame and e.data["percent"] >= 100]  # fmt: skip
        final = [t for t, e in recorder.events if e.task == task and e.kind == "preview-ready"
                 and e.data["frame"] == frame and e.data["preview"] == "final"]  # fmt: skip
        if last_progress and final:
            preview_lags.append(final[0] - last_progress[-1])

    print(
        f"{args.frames} frames, {WIDTH}x{HEIGHT}, {args.samples} samples, {NODES} local nodes (1 thread each)"
    )
    print(f"{'measure':52} {'value':>10} {'target':>10}")
    print(f"{'direct local render on one core, sum of frame times (s)':52} {sum(local):10.2f}")
    print(f"{'mean direct frame time (s)':52} {sum(local) / len(local):10.2f}")
    print(f"{'ideal = sum / 2 nodes (s)':52} {ideal:10.2f}")
    print(f"{'farm frame time as the nodes measured it, mean (s)':52} {farm_frame_s:10.2f}")
    print(f"{'farm: submit -> every frame downloaded (s)':52} {wall:10.2f}")
    print(f"{'farm / ideal':52} {wall / ideal:10.3f} {'<= 1.15':>10}")
    print(f"{'direct local render, all cores, one process, wall (s)':52} {whole_machine:10.2f}")
    print(f"{'farm / direct local render on the same machine':52} {wall / whole_machine:10.3f}")
    print(f"{'latency submit -> task Executing (node took it) (s)':52} {executing - submitted:10.3f}")
    first_frame = rendering - submitted
    print(f"{'latency submit -> first frame started (progress) (s)':52} {first_frame:10.3f} {'< 1':>10}")
    if preview_lags:
        print(
            f"{'latency frame finished -> preview event, max (s)':52} {max(preview_lags):10.3f} {'< 1':>10}"
        )
        mean_lag = sum(preview_lags) / len(preview_lags)
        print(f"{'latency frame finished -> preview event, mean (s)':52} {mean_lag:10.3f}")


if __name__ == "__main__":
    main()
