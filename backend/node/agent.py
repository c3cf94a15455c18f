"""NodeAgent: claims one frame at a time, renders it in Blender, uploads the outputs and reports.

The node is dedicated and stateless: it keeps one warm Blender worker for the task it is rendering
and closes it when it moves to another task or goes idle. While it has no task, a Blender started
ahead of work waits (ReadyWorker), so the next task's first frame skips Blender's start-up. The
scratch directory is wiped after every frame, rendered or failed; the next frame's inputs come back
as hard links from the content-addressed cache, so nothing is downloaded twice. Final reports are
retried until the server answers, so a server restart loses no rendered frame.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from backend.fleet.protocol import ClaimResponse, CompleteReport, FailReport, InputObject, Telemetry
from backend.node.blender_runner import BlenderSession, FrameOutcome
from backend.node.client import NodeClient, NodeClientError, ServerRejectedError, ServerUnavailableError
from backend.node.heat import HeatState
from backend.node.input_cache import InputCache
from backend.node.job_spec import JobSpecError, spec_from_constants
from backend.node.meters import EnergyReading, FrameEnergy
from backend.node.ready_worker import ReadyWorker
from backend.node.reporter import PreviewUpload, ProgressUpdate, Reporter
from backend.node.worker_protocol import Preview, Progress, WorkerEvent

log = logging.getLogger(__name__)

CLAIM_WAIT_S = 20.0
WATCH_WAIT_S = 10.0
IDLE_SESSION_S = 60.0
RETRY_MIN_S = 0.5
RETRY_MAX_S = 10.0


@dataclass(frozen=True)
class NodeConfig:
    name: str
    work_dir: Path
    blender: str | None = None
    threads: int | None = None
    heartbeat_interval_s: float = 5.0
    speed: float = 1.0
    site: dict[str, float | str] = field(default_factory=dict)
    # Keep a Blender started while idle, so a task's first frame skips Blender's start-up.
    ready_blender: bool = True


@dataclass
class _TaskSession:
    task_uuid: str
    scratch: Path
    blender: BlenderSession
    last_used: float


class NodeAgent:
    def __init__(self, config: NodeConfig, client: NodeClient, heat: HeatState) -> None:
        self._config = config
        self._client = client
        self._heat = heat
        self._stop = threading.Event()
        self._cache = InputCache(config.work_dir / "cache")
        self._reporter = Reporter(client)
        self._session: _TaskSession | None = None
        self._ready = ReadyWorker(blender=config.blender) if config.ready_blender else None
        self._lock = threading.Lock()
        self._current: ClaimResponse | None = None
        self._progress: float | None = None
        self._attempt_changed = threading.Condition(self._lock)
        self._cancelled: set[int] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._attempt_changed.notify_all()
        session = self._session
        if session is not None:
            session.blender.cancel_frame()

    def run(self) -> None:
        scratch_root = self._config.work_dir / "scratch"
        shutil.rmtree(scratch_root, ignore_errors=True)  # whatever a killed predecessor left
        threads = [
            threading.Thread(target=self._heartbeat_loop, name="node-heartbeat", daemon=True),
            threading.Thread(target=self._watch_loop, name="node-watch", daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            self._claim_loop()
        finally:
            self._close_session()
            if self._ready is not None:
                self._ready.close()
            self._reporter.close()
            for thread in threads:
                thread.join(WATCH_WAIT_S + 5)
            self.send_heartbeat(state="offline")

    def _claim_loop(self) -> None:
        delay = RETRY_MIN_S
        while not self._stop.is_set():
            if self._session is None and self._ready is not None:
                # Only while no task's Blender is warm: starting one beside a render would slow it.
                self._ready.prepare()
            try:
                claim = self._client.claim(self._heat.room_state(), self._config.speed, CLAIM_WAIT_S)
                delay = RETRY_MIN_S
            except ServerRejectedError as exc:
                if exc.status == 401:
                    log.error("the farm refused this node's token: %s; stopping", exc)
                    return
                log.warning("claim refused: %s", exc)
                claim = None
            except ServerUnavailableError as exc:
                log.info("farm unavailable (%s); retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(RETRY_MAX_S, delay * 2)
                continue
            if claim is None:
                self._close_idle_session()
                continue
            self._render(claim)

    # -- one frame ------------------------------------------------------------------------------

    def _render(self, claim: ClaimResponse) -> None:
        with self._lock:
            self._current, self._progress = claim, 0.0
            self._attempt_changed.notify_all()
        session: _TaskSession | None = None
        try:
            session = self._session_for(claim)
            for folder in (session.scratch / "out", session.scratch / "previews"):
                folder.mkdir(parents=True, exist_ok=True)
            self._fetch_inputs(claim, session.scratch / "inputs")
            if not self._persist(lambda: self._client.started(claim.attempt_id)):
                return
            energy = FrameEnergy(self._heat.meter)
            energy.start()
            outcome = session.blender.render(claim.frame)
            reading = energy.stop()
            session.last_used = time.monotonic()
            self._reporter.flush()
            if claim.attempt_id in self._cancelled or outcome.cancelled:
                log.info("frame %s of %s cancelled", claim.frame, claim.task_uuid)
            elif outcome.ok:
                self._deliver(claim, session, outcome, reading)
            else:
                self._report_failure(claim, outcome.error or "the render failed", session, outcome)
        except JobSpecError as exc:
            self._report_failure(claim, str(exc), None)
        except (NodeClientError, OSError) as exc:
            self._report_failure(claim, f"the node could not prepare the frame: {exc}", None)
        finally:
            if session is not None:
                # The warm Blender keeps the scene in memory; on disk nothing of this frame remains.
                shutil.rmtree(session.scratch, ignore_errors=True)
            with self._lock:
                self._current, self._progress = None, None
                self._attempt_changed.notify_all()

    def _session_for(self, claim: ClaimResponse) -> _TaskSession:
        session = self._session
        if session is not None and session.task_uuid == claim.task_uuid:
            return session
        self._close_session()
        scratch = self._config.work_dir / "scratch" / claim.task_uuid
        spec = spec_from_constants(
            claim.constants,
            inputs_dir=scratch / "inputs",
            output_dir=scratch / "out",
            preview_dir=scratch / "previews",
            threads=self._config.threads,
        )
        blender = BlenderSession(spec, self._on_worker_event, blender=self._config.blender, ready=self._ready)
        self._session = _TaskSession(claim.task_uuid, scratch, blender, time.monotonic())
        return self._session

    def _fetch_inputs(self, claim: ClaimResponse, inputs_dir: Path) -> None:
        for item in claim.inputs:
            dest = inputs_dir.joinpath(*item.path.split("/"))
            if dest.exists() and dest.stat().st_size == item.size:
                continue

            fetch = functools.partial(self._download, claim.attempt_id, item)
            self._cache.materialize(item.etag, item.size, dest, fetch)

    def _download(self, attempt_id: int, item: InputObject, target: Path) -> None:
        self._client.download(attempt_id, item.bucket, item.key, target, item.etag)

    def _on_worker_event(self, event: WorkerEvent) -> None:
        with self._lock:
            current = self._current
        if current is None:
            return
        if isinstance(event, Progress) and event.frame == current.frame:
            with self._lock:
                self._progress = event.percent
            self._reporter.progress(
                ProgressUpdate(current.attempt_id, event.done, event.total, event.percent)
            )
        elif isinstance(event, Preview) and event.frame == current.frame and not event.final:
            self._reporter.preview(PreviewUpload(current.attempt_id, "progressive", event.path))

    def _deliver(
        self, claim: ClaimResponse, session: _TaskSession, outcome: FrameOutcome, reading: EnergyReading
    ) -> None:
        done = outcome.done
        assert done is not None
        outputs = []
        path = done.path
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not self._persist(
            lambda: self._client.upload_output(claim.attempt_id, path.name, path, content_type)
        ):
            return
        outputs.append(path.name)
        thumbnail = done.thumbnail
        if thumbnail is not None and thumbnail.exists():
            self._persist(lambda: self._client.upload_preview(claim.attempt_id, "final", thumbnail))
        report = CompleteReport(
            outputs=outputs,
            render_time_s=round(done.secs, 3),
            energy_it_wh=reading.wh,
            energy_method=reading.method,
            energy_uncertainty=reading.uncertainty,
            stdout=f"[frame {claim.frame}] rendered in {done.secs:.2f} s on {self._config.name}\n",
        )
        self._persist(lambda: self._client.complete(claim.attempt_id, report))
        done.path.unlink(missing_ok=True)
        log.info("frame %s of %s done in %.2f s", claim.frame, claim.task_uuid, done.secs)

    def _report_failure(
        self,
        claim: ClaimResponse,
        message: str,
        session: _TaskSession | None,
        outcome: FrameOutcome | None = None,
    ) -> None:
        log.warning("frame %s of %s failed: %s", claim.frame, claim.task_uuid, message)
        stdout_tail = outcome.stdout_tail if outcome else ()
        stderr_tail = outcome.stderr_tail if outcome else ()
        report = FailReport(
            message=message,
            stdout=f"[frame {claim.frame}] {self._config.name}: {message}\n"
            + "".join(f"{line}\n" for line in stdout_tail),
            stderr="".join(f"{line}\n" for line in stderr_tail),
        )
        self._persist(lambda: self._client.fail(claim.attempt_id, report))
        if session is not None:
            self._close_session()  # a fresh Blender for the next frame

    def _persist(self, call: Callable[[], object]) -> bool:
        """Retries a report until the server answers; False if it refused or the node is stopping."""
        delay = RETRY_MIN_S
        while not self._stop.is_set():
            try:
                return bool(call())
            except ServerRejectedError as exc:
                log.warning("the farm refused a report: %s", exc)
                return False
            except ServerUnavailableError as exc:
                log.info("farm unavailable (%s); retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(RETRY_MAX_S, delay * 2)
        return False

    # -- background loops -----------------------------------------------------------------------

    def _watch_loop(self) -> None:
        """Stops the frame being rendered as soon as the server says so (abort, reassignment)."""
        while not self._stop.is_set():
            with self._lock:
                while self._current is None and not self._stop.is_set():
                    self._attempt_changed.wait()
                current = self._current
            if current is None:
                return
            try:
                cancel = self._client.watch(current.attempt_id, WATCH_WAIT_S)
            except NodeClientError:
                self._stop.wait(RETRY_MIN_S)
                continue
            with self._lock:
                still = self._current is current
            if cancel and still:
                self._cancelled.add(current.attempt_id)
                session = self._session
                if session is not None:
                    session.blender.cancel_frame()
                with self._lock:
                    while self._current is current and not self._stop.is_set():
                        self._attempt_changed.wait()

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            self.send_heartbeat()
            self._stop.wait(self._config.heartbeat_interval_s)

    def send_heartbeat(self, state: str | None = None) -> None:
        """Samples power and room and tells the farm, with this node's site parameters."""
        self._heat.sample()
        with self._lock:
            current, progress = self._current, self._progress
        telemetry = Telemetry(
            state=state or ("rendering" if current else "idle"),
            cpu_load=round(self._heat.cpu_load, 3),
            power_w=round(self._heat.power_w, 2),
            energy_wh=round(self._heat.energy_wh, 4),
            energy_method=self._heat.meter.method,
            room=self._heat.room_state(),
            task=current.task_uuid if current else None,
            frame=current.frame if current else None,
            progress=progress,
            blender=self._config.blender or "bpy",
            site=self._config.site,
        )
        try:
            self._client.heartbeat(telemetry.model_dump())
        except NodeClientError as exc:
            log.info("heartbeat not delivered: %s", exc)

    # -- helpers --------------------------------------------------------------------------------

    def _close_idle_session(self) -> None:
        session = self._session
        if session is not None and time.monotonic() - session.last_used > IDLE_SESSION_S:
            self._close_session()

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        session.blender.close()
        shutil.rmtree(session.scratch, ignore_errors=True)
