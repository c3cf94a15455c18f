"""Benchmark: one Blender process per frame vs one persistent process per task, for tiny Cycles frames.

Run from the repo root: `.venv/bin/python bench/worker_process_model.py [--repeats 3] [--frames 3 6]`.
Prints wall seconds per frame (median over repeats) for: a new worker per frame (PER_FRAME), one worker
given the whole frame list (PERSISTENT), and one warm worker fed frame by frame (BlenderSession, the
shape a node that claims one frame at a time would use).

With `--draft 64x36 320x180` it instead prints what the draft preview (a one-sample render at preview
size before each frame) costs a warm BlenderSession: seconds per frame with drafts off and on (wall, as
the worker reports it, and the worker's CPU seconds, which other load on the machine disturbs least),
and the median draft time from the worker's `draft_end` events. Use `--threads 1` for steady figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.node.blender_runner import BlenderRunner, BlenderSession, ProcessModel
from backend.node.meters import ProcessCpuTime
from backend.node.worker_protocol import DraftEnd, FrameDone, JobSpec, PreviewSettings, WorkerEvent
from tests.scenes import make_textured_scene


def time_run(spec: JobSpec, model: ProcessModel, blender: str | None) -> float:
    started = time.perf_counter()
    result = BlenderRunner(spec, model=model, blender=blender).run()
    elapsed = time.perf_counter() - started
    if not result.ok or len(result.frames_done) != len(spec.frames):
        raise SystemExit(f"render failed: {result.error} {result.stderr_tail[-5:]}")
    return elapsed


def time_session(spec: JobSpec, blender: str | None) -> float:
    started = time.perf_counter()
    with BlenderSession(spec, blender=blender) as session:
        for frame in spec.frames:
            outcome = session.render(frame)
            if not outcome.ok:
                raise SystemExit(f"render failed: {outcome.error}")
    return time.perf_counter() - started


def time_drafts(spec: JobSpec, draft: bool) -> tuple[float, float, list[float], list[float]]:
    """Wall and worker CPU seconds per frame in a warm session (worker start excluded), and the
    seconds the worker reports for each frame (draft included) and for each draft."""
    frames: list[float] = []
    drafts: list[float] = []

    def on_event(event: WorkerEvent) -> None:
        if isinstance(event, DraftEnd):
            drafts.append(event.secs)
        elif isinstance(event, FrameDone):
            frames.append(event.secs)

    spec = replace(spec, preview=PreviewSettings(dir=spec.output_dir / "previews", draft=draft))
    with BlenderSession(spec, on_event) as session:
        # The first frame pays Blender's warm-up (kernels, BVH code paths) and is not timed.
        if not session.render(spec.frames[0]).ok or session.pid is None:
            raise SystemExit("render failed")
        cpu = ProcessCpuTime(session.pid)
        frames.clear()
        drafts.clear()
        cpu_started = cpu()
        started = time.perf_counter()
        for frame in spec.frames[1:]:
            outcome = session.render(frame)
            if not outcome.ok:
                raise SystemExit(f"render failed: {outcome.error}")
        elapsed = time.perf_counter() - started
        cpu_s = cpu() - cpu_started
    timed = len(spec.frames) - 1
    return elapsed / timed, cpu_s / timed, frames, drafts


def draft_table(root: Path, sizes: list[str], args: argparse.Namespace) -> None:
    frames = tuple(range(1, max(args.frames) + 2))
    print(
        f"Draft preview cost: Cycles CPU, {args.samples} spp, threads={args.threads or 'auto'}, "
        f"warm session, {len(frames) - 1} timed frames x {args.repeats} runs, medians. "
        "Wall = node-side seconds per frame; worker = the frame's own seconds (frame_done.secs); "
        "cpu = the worker's CPU seconds per frame, the figure least disturbed by other load"
    )
    header = (
        "size",
        "wall off",
        "wall on",
        "worker off",
        "worker on",
        "cpu off",
        "cpu on",
        "cpu +%",
        "draft s",
    )
    print(" | ".join(f"{h:>10}" for h in header))
    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        blend = make_textured_scene(root / f"draft-{size}", frame_end=len(frames), width=width, height=height)
        wall: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        worker: dict[bool, list[float]] = {False: [], True: []}
        drafts: list[float] = []
        for rep in range(args.repeats):
            for draft in (False, True):
                spec = JobSpec(
                    blend=blend,
                    output_dir=root / f"out-draft-{size}-{draft}-{rep}",
                    frames=frames,
                    samples=args.samples,
                    threads=args.threads,
                )
                per_frame, cpu_per_frame, frame_secs, draft_secs = time_drafts(spec, draft)
                wall[draft].append(per_frame)
                cpu[draft].append(cpu_per_frame)
                worker[draft] += frame_secs
                drafts += draft_secs
        off, on = statistics.median(worker[False]), statistics.median(worker[True])
        wall_off, wall_on = statistics.median(wall[False]), statistics.median(wall[True])
        cpu_off, cpu_on = statistics.median(cpu[False]), statistics.median(cpu[True])
        print(
            f"{size:>10} | {wall_off:>10.3f} | {wall_on:>10.3f} | {off:>10.3f} | {on:>10.3f} | "
            f"{cpu_off:>10.3f} | {cpu_on:>10.3f} | {100 * (cpu_on / cpu_off - 1):>9.1f}% | "
            f"{statistics.median(drafts):>10.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--size", default="64x36", help="WIDTHxHEIGHT")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--blender", default=None, help="a blender executable instead of the bpy module")
    parser.add_argument("--draft", nargs="+", metavar="WxH", help="measure draft previews at these sizes")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        root = Path(tmp)
        if args.draft:
            draft_table(root, args.draft, args)
            return
        blend = make_textured_scene(root / "scene", frame_end=max(args.frames), width=width, height=height)
        print(
            f"Cycles CPU {width}x{height}, {args.samples} spp, threads={args.threads or 'auto'}, "
            f"median of {args.repeats}; {'blender ' + args.blender if args.blender else 'bpy module'}"
        )
        header = ("frames", "per-frame s/frame", "persistent s/frame", "session s/frame", "speed-up")
        print(" | ".join(f"{h:>{max(6, len(h))}}" for h in header))
        for count in args.frames:
            medians: dict[str, float] = {}
            for mode in ("per_frame", "persistent", "session"):
                runs = []
                for rep in range(args.repeats):
                    spec = JobSpec(
                        blend=blend,
                        output_dir=root / f"out-{mode}-{count}-{rep}",
                        frames=tuple(range(1, count + 1)),
                        samples=args.samples,
                        threads=args.threads,
                    )
                    if mode == "session":
                        runs.append(time_session(spec, args.blender) / count)
                    else:
                        runs.append(time_run(spec, ProcessModel(mode), args.blender) / count)
                medians[mode] = statistics.median(runs)
            per_frame, persistent, session = medians["per_frame"], medians["persistent"], medians["session"]
            print(
                f"{count:>6} | {per_frame:>17.3f} | {persistent:>18.3f} | {session:>15.3f} | "
                f"{per_frame / persistent:>7.2f}x"
            )


if __name__ == "__main__":
    main()
