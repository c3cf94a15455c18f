"""The `hearth` subcommands; each takes the Context and returns an exit code."""

from __future__ import annotations

import dataclasses
import getpass
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from render_client import cli_follow
from render_client.api import FarmClient
from render_client.cli_support import EXIT_OK, Context, UsageError, save_server, saved_server
from render_client.credentials import delete_token, store_token
from render_client.errors import HearthError, MissingFilesError, NotAuthorized
from render_client.packing import build_package, trace
from render_client.packing_report import PackReport, format_missing
from render_client.progress import TransferSnapshot, describe, human_bytes
from render_client.results import ResultDownloader
from render_client.submit import RenderSettings, input_bucket_name, submit_scene
from render_client.sync import SyncResult, sync_package
from render_client.transfer import ensure_bucket

REPORT_FILE_LINES = 15


def _progress_printer(ctx: Context) -> Callable[[TransferSnapshot], None]:
    """Live upload progress on a terminal; one line at the end otherwise (logs stay readable)."""

    def show(snap: TransferSnapshot) -> None:
        if ctx.out.interactive:
            end = "\n" if snap.finished else ""
            print(f"\r\x1b[2Kupload {describe(snap)}", end=end, file=ctx.out.stderr, flush=True)
        elif snap.finished:
            ctx.out.note(f"upload {describe(snap)}")

    return show


def _print_report(ctx: Context, report: PackReport) -> None:
    out = ctx.out
    out.note(f"Scene {report.scene}: render {report.main_blend}")
    out.note(f"{len(report.files)} file(s), {human_bytes(report.total_size_b)} in all")
    for packed in report.files[:REPORT_FILE_LINES]:
        out.note(f"  {packed.key}  {human_bytes(packed.size_b)}")
    if len(report.files) > REPORT_FILE_LINES:
        out.note(f"  ... and {len(report.files) - REPORT_FILE_LINES} more")
    for ext in report.external:
        out.note(f"  outside the scene folder: {ext.source} -> {ext.key}")
    if report.rewritten:
        out.note(
            "Paths rewritten in copies of: " + ", ".join(report.rewritten) + " (your files stay as they are)"
        )
    if report.missing:
        out.note(format_missing(report.missing))
    for warning in report.warnings:
        out.note(f"Warning: {warning}")


def _sync_summary(result: SyncResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def _sync_text(result: SyncResult) -> str:
    return (
        f"{result.bucket}: {result.files_uploaded} file(s) uploaded ({human_bytes(result.bytes_uploaded)}"
        + (f", {human_bytes(result.bytes_resumed)} resumed" if result.bytes_resumed else "")
        + f"), {result.files_copied} copied on the farm, {result.files_unchanged} unchanged"
        + (f", {result.files_deleted} deleted" if result.files_deleted else "")
        + f" in {result.elapsed_s:.1f} s"
    )


# -- login ------------------------------------------------------------------------------------


def login(ctx: Context) -> int:
    server = ctx.server(ctx.args.url)
    token = ctx.args.token or os.environ.get("HEARTH_TOKEN")
    if not token:
        token = getpass.getpass(f"API token for {server}: ").strip()
    if not token:
        raise UsageError("no token given; pass --token or type it at the prompt")
    email = FarmClient(server, token, tls=ctx.tls(), retries=1).user_email()
    stored = store_token(server, token)
    save_server(server)
    where = "the system keyring" if stored.location == "keyring" else "a file readable only by you"
    ctx.out.say(f"Logged in to {server} as {email}; the token is stored in {where}.")
    if stored.warning:
        ctx.out.note(f"Warning: {stored.warning}")
    ctx.out.result({"server": server, "email": email, "stored": stored.location, "warning": stored.warning})
    return EXIT_OK


def logout(ctx: Context) -> int:
    server = ctx.server()
    delete_token(server)
    if saved_server() == server:
        save_server(None)
    ctx.out.say(f"Logged out of {server}.")
    ctx.out.result({"server": server, "loggedOut": True})
    return EXIT_OK


# -- sync and submit --------------------------------------------------------------------------


def _trace(ctx: Context, scene: Path) -> PackReport:
    if not scene.exists():
        raise UsageError(f"{scene} does not exist; give a .blend file or a scene folder")
    main = ctx.args.main
    if main is not None and not scene.is_dir():
        raise UsageError(f"--main names a .blend inside a scene folder, but {scene} is a file; drop --main")
    report = trace(scene, main=main)
    _print_report(ctx, report)
    if report.missing and not ctx.args.allow_missing:
        # The report above lists each missing file with its fix; the error only says what blocks.
        raise MissingFilesError(
            f"{len(report.missing)} file(s) needed by the scene are missing (listed above); "
            "put them back or relink them, or pass --allow-missing to go ahead without them"
        )
    return report


def sync(ctx: Context) -> int:
    scene = Path(ctx.args.scene)
    report = _trace(ctx, scene)
    s3 = ctx.s3(ctx.args.workers)
    bucket = input_bucket_name(scene)
    with tempfile.TemporaryDirectory(prefix="hearth-pack-") as staging:
        package = build_package(report, Path(staging), allow_missing=ctx.args.allow_missing)
        ensure_bucket(s3, bucket)
        result = sync_package(
            s3,
            bucket,
            package,
            delete=ctx.args.delete,
            workers=ctx.args.workers,
            progress=_progress_printer(ctx),
        )
    ctx.out.result(_sync_summary(result), _sync_text(result))
    return EXIT_OK


def _settings(ctx: Context) -> RenderSettings:
    a = ctx.args
    settings = RenderSettings(
        frames=a.frames,
        name=a.name,
        engine=a.engine,
        samples=a.samples,
        resolution_percent=a.resolution_percent,
        file_format=a.file_format,
        camera=a.camera,
        scene_name=a.scene_name,
        priority=a.priority,
        policy=a.policy,
    )
    try:
        settings.check()
    except HearthError as exc:
        raise UsageError(exc.message) from None
    return settings


def submit(ctx: Context) -> int:
    settings = _settings(ctx)
    scene = Path(ctx.args.scene)
    report = _trace(ctx, scene)
    farm, s3 = ctx.farm(), ctx.s3(ctx.args.workers)
    with tempfile.TemporaryDirectory(prefix="hearth-pack-") as staging:
        done = submit_scene(
            farm,
            s3,
            scene,
            settings,
            Path(staging),
            report=report,
            allow_missing=ctx.args.allow_missing,
            progress=_progress_printer(ctx),
            workers=ctx.args.workers,
        )
    ctx.out.note(_sync_text(done.sync))
    task = done.task
    ctx.out.result(
        {"uuid": task.uuid, "name": task.name, "state": task.state, "resultBucket": done.result_bucket,
         "inputBucket": done.input_bucket, "sync": _sync_summary(done.sync)},
        f"Submitted task {task.uuid} ({task.name}): {task.instance_count} frame(s), state {task.state}",
    )  # fmt: skip
    if ctx.args.download:
        return cli_follow.follow_and_download(ctx, task.uuid, Path(ctx.args.download))
    if ctx.args.wait:
        return cli_follow.follow_task(ctx, task.uuid)
    return EXIT_OK


# -- tasks ------------------------------------------------------------------------------------


def status(ctx: Context) -> int:
    tasks = list(ctx.farm().tasks())
    rows = [
        {"uuid": t.uuid, "name": t.name, "state": t.state, "framesDone": t.frames_done,
         "frames": t.instance_count, "progress": t.progress, "created": t.created}
        for t in tasks
    ]  # fmt: skip
    lines = [f"{'TASK':36}  {'STATE':18}  {'FRAMES':>11}  NAME"]
    for r in rows:
        lines.append(f"{r['uuid']:36}  {r['state']:18}  {r['framesDone']:>5}/{r['frames']:<5}  {r['name']}")
    if not rows:
        lines = ["No tasks yet; submit one with `hearth submit SCENE --frames 1-10`."]
    ctx.out.result(rows, "\n".join(lines))
    return EXIT_OK


def follow(ctx: Context) -> int:
    return cli_follow.follow_task(ctx, ctx.args.task)


def download(ctx: Context) -> int:
    dest = Path(ctx.args.dir)
    if ctx.args.wait:
        return cli_follow.follow_and_download(ctx, ctx.args.task, dest)
    task = ctx.farm().task(ctx.args.task)
    if not task.result_bucket:
        raise HearthError(f"task {task.uuid} has no result bucket; nothing to download")
    downloader = ResultDownloader(
        ctx.s3(), task.result_bucket, dest, on_outcome=cli_follow.outcome_printer(ctx)
    )
    outcomes = downloader.sweep()
    cli_follow.print_download_summary(ctx, outcomes, dest)
    return EXIT_OK


def cancel(ctx: Context) -> int:
    farm = ctx.farm()
    try:
        farm.abort(ctx.args.task)
    except NotAuthorized as exc:
        # The farm answers 403 when the task is already finished: say that rather than "not allowed".
        task = farm.task(ctx.args.task)
        if task.is_final:
            ctx.out.result(
                {"uuid": task.uuid, "state": task.state}, f"Task {task.uuid} is already {task.state}."
            )
            return EXIT_OK
        raise exc
    task = farm.task(ctx.args.task)
    ctx.out.result(
        {"uuid": task.uuid, "state": task.state}, f"Cancelled task {task.uuid} (state {task.state})."
    )
    return EXIT_OK


def nodes(ctx: Context) -> int:
    found = ctx.farm().nodes()
    rows = [dataclasses.asdict(n) for n in found]
    lines = [f"{'NODE':20}  {'STATE':10}  {'ONLINE':6}  {'ROOM':>7}  {'SET':>7}  {'POWER':>7}  FRAME"]
    for n in found:
        room = f"{n.room_c:.1f}°C" if n.room_c is not None else "-"
        setpoint = f"{n.setpoint_c:.1f}°C" if n.setpoint_c is not None else "-"
        lines.append(
            f"{n.name:20}  {n.state:10}  {'yes' if n.online else 'no':6}  {room:>7}  {setpoint:>7}  "
            f"{n.power_w:>5.0f} W  {n.frame if n.frame is not None else '-'}"
        )
    if not found:
        lines = ["No heater nodes have joined this farm yet."]
    ctx.out.result(rows, "\n".join(lines))
    return EXIT_OK


def carbon(ctx: Context) -> int:
    facts = ctx.farm().carbon_facts(ctx.args.task)
    text = "\n".join(
        [
            f"energy (IT)        {facts.total_energy_it_wh:10.1f} Wh",
            f"energy (total)     {facts.total_consumed_energy_wh:10.1f} Wh",
            f"heat reused        {facts.total_reused_energy_wh:10.1f} Wh",
            f"footprint          {facts.footprint_g:10.1f} gCO2eq",
            f"same in datacenter {facts.equivalent_datacenter_g:10.1f} gCO2eq",
            f"saved              {facts.saved_g:10.1f} gCO2eq ({facts.saved_percent:.0f} %)",
        ]
    )
    ctx.out.result(facts.raw, text)
    return EXIT_OK


def local_farm(ctx: Context) -> int:
    from render_client.cli_local_farm import run_local_farm

    return run_local_farm(ctx)
