"""Benchmark: one Blender process per frame vs one persistent process per task, for tiny Cycles frames.

Run from the repo root: `.venv/bin/python bench/worker_process_model.py [--repeats 3] [--frames 3 6]`.
Prints wall seconds per frame (median over repeats) for: a new worker per frame (PER_FRAME), one worker
given the whole frame list (PERSISTENT), and one warm worker fed frame by frame (BlenderSession, the
shape a node that claims one frame at a time would use).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.node.blender_runner import BlenderRunner, BlenderSession, ProcessModel
from backend.node.worker_protocol import JobSpec
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--size", default="64x36", help="WIDTHxHEIGHT")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--blender", default=None, help="a blender executable instead of the bpy module")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        root = Path(tmp)
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
