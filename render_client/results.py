"""Downloads a task's result bucket: verified, incremental, and never silently over a newer local file."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from render_client.api import TlsOptions
from render_client.errors import HearthError
from render_client.events import EventStream
from render_client.hash_cache import DEFAULT_PART_SIZE_B, hash_file
from render_client.transfer import RemoteObject, TransferCancelled, list_objects, translated

READ_CHUNK_B = 1024 * 1024
SWEEP_WORKERS = 8
FARM_SUFFIX = " (farm)"

Status = Literal["downloaded", "unchanged", "kept-local"]


@dataclass(frozen=True)
class DownloadOutcome:
    """`kept-local`: the local file was newer and different; the farm's version went to `path`."""

    key: str
    path: Path
    status: Status
    size_b: int


class _StreamHash:
    """MD5 of the whole stream and the S3 multipart ETag, computed while writing."""

    def __init__(self, part_size_b: int) -> None:
        self.part_size_b = part_size_b
        self.whole = hashlib.md5(usedforsecurity=False)
        self.part = hashlib.md5(usedforsecurity=False)
        self.parts: list[bytes] = []
        self.in_part = 0
        self.size_b = 0

    def update(self, chunk: bytes) -> None:
        self.whole.update(chunk)
        self.size_b += len(chunk)
        view = memoryview(chunk)
        while view:
            take = min(len(view), self.part_size_b - self.in_part)
            self.part.update(view[:take])
            self.in_part += take
            view = view[take:]
            if self.in_part == self.part_size_b:
                self.parts.append(self.part.digest())
                self.part = hashlib.md5(usedforsecurity=False)
                self.in_part = 0

    def matches(self, etag: str) -> bool:
        """True when `etag` describes these bytes (or cannot be checked: unknown part size)."""
        if "-" not in etag:
            return self.whole.hexdigest() == etag
        parts = [*self.parts, self.part.digest()] if self.in_part else list(self.parts)
        if etag.rsplit("-", 1)[1] != str(len(parts)):
            return True  # uploaded with another part size: the size check has to do
        return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}" == etag


def local_path(dest: Path, key: str) -> Path:
    """Where an object lands under `dest`; keys that would escape it are refused."""
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise HearthError(f"the result bucket holds an unsafe name {key!r}; it was not downloaded")
    return dest.joinpath(*parts)


@functools.cache
def _file_mode() -> int:
    """0666 minus the umask, as open() would give (0644 under the usual umask 022)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def farm_copy_path(path: Path) -> Path:
    """`frame_0001.png` -> `frame_0001 (farm).png`."""
    return path.with_name(f"{path.stem}{FARM_SUFFIX}{path.suffix}")


def _same_content(path: Path, remote: RemoteObject, part_size_b: int) -> bool:
    if not path.is_file() or path.stat().st_size != remote.size_b:
        return False
    md5, etag = hash_file(path, part_size_b)
    return remote.etag in (md5, etag)


class ResultDownloader:
    """Downloads objects of one bucket into one folder; thread-safe, cancellable."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        dest: Path,
        *,
        on_outcome: Callable[[DownloadOutcome], None] | None = None,
        cancel: threading.Event | None = None,
        part_size_b: int = DEFAULT_PART_SIZE_B,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.dest = dest
        self.on_outcome = on_outcome
        self.cancel = cancel or threading.Event()
        self.part_size_b = part_size_b
        self.outcomes: dict[str, DownloadOutcome] = {}
        self._lock = threading.Lock()

    def download(self, key: str, remote: RemoteObject | None = None) -> DownloadOutcome:
        """Fetches one object unless an identical file is already there."""
        if self.cancel.is_set():
            raise TransferCancelled("the download was cancelled; run it again to fetch the rest")
        if remote is None:
            remote = self._head(key)
        target = local_path(self.dest, key)
        outcome = self._decide(key, target, remote)
        if outcome is None:
            status: Status = "downloaded"
            if target.exists() and target.stat().st_mtime > remote.modified_ts:
                # Someone edited the frame locally after the farm wrote it: keep theirs, say so.
                target, status = farm_copy_path(target), "kept-local"
            self._fetch(key, target, remote)
            outcome = DownloadOutcome(key, target, status, remote.size_b)
        with self._lock:
            self.outcomes[key] = outcome
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def sweep(self, workers: int = SWEEP_WORKERS) -> list[DownloadOutcome]:
        """Lists the bucket and fetches whatever is missing or different locally."""
        remote = list_objects(self.client, self.bucket)
        todo = [obj for key, obj in sorted(remote.items()) if not key.endswith("/")]
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hearth-download") as pool:
            futures = [pool.submit(self.download, obj.key, obj) for obj in todo]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _decide(self, key: str, target: Path, remote: RemoteObject) -> DownloadOutcome | None:
        if _same_content(target, remote, self.part_size_b):
            return DownloadOutcome(key, target, "unchanged", remote.size_b)
        farm_copy = farm_copy_path(target)
        newer_local = target.exists() and target.stat().st_mtime > remote.modified_ts
        if newer_local and _same_content(farm_copy, remote, self.part_size_b):
            return DownloadOutcome(key, farm_copy, "kept-local", remote.size_b)
        return None

    def _head(self, key: str) -> RemoteObject:
        with translated(f"looking up {key} in {self.bucket}"):
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        return RemoteObject(
            key=key,
            etag=str(head["ETag"]).strip('"'),
            size_b=int(head["ContentLength"]),
            modified_ts=head["LastModified"].timestamp(),
        )

    def _fetch(self, key: str, target: Path, remote: RemoteObject) -> None:
        """Streams to a temporary file beside the target, verifies it, then renames it into place."""
        digest = _StreamHash(self.part_size_b)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        except OSError as exc:
            raise HearthError(
                f"cannot save frames in {target.parent} ({exc.strerror or exc}); "
                "choose a folder you can write to (not a file)"
            ) from exc
        tmp = Path(tmp_name)
        try:
            with translated(f"downloading {key}"), os.fdopen(fd, "wb") as out:
                body = self.client.get_object(Bucket=self.bucket, Key=key, IfMatch=f'"{remote.etag}"')["Body"]
                for chunk in body.iter_chunks(READ_CHUNK_B):
                    if self.cancel.is_set():
                        raise TransferCancelled("the download was cancelled; run it again to fetch the rest")
                    digest.update(chunk)
                    out.write(chunk)
            if digest.size_b != remote.size_b or not digest.matches(remote.etag):
                raise HearthError(
                    f"{key} arrived damaged ({digest.size_b} of {remote.size_b} bytes, or a checksum "
                    "mismatch); download it again"
                )
            os.chmod(tmp, _file_mode())  # mkstemp makes 0600; a frame is an ordinary file
            os.utime(tmp, (remote.modified_ts, remote.modified_ts))
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


EventSource = Callable[[Callable[[Any], None]], Callable[[], None]]
"""Starts delivering farm events to a callback; returns the function that stops it."""

FINAL_CHECK_S = 2.0
CONNECT_WAIT_S = 10.0


def event_source(server: str, token: str, verify: bool | str = True) -> EventSource:
    """The farm's /events stream as an EventSource."""

    def start(callback: Callable[[Any], None]) -> Callable[[], None]:
        stream = EventStream(server, token, tls=TlsOptions(verify=verify))
        stream.start(callback, on_error=callback)
        # Until it is connected, close() cannot interrupt the stream; events before it are swept.
        stream.connected.wait(CONNECT_WAIT_S)
        return stream.close

    return start


def follow_results(
    downloader: ResultDownloader,
    task_uuid: str,
    is_final: Callable[[], bool],
    events: EventSource,
) -> list[DownloadOutcome]:
    """Downloads frames as "frame-done" events name them until the task is final, then sweeps the bucket.

    `is_final` is asked whenever the stream is quiet, so a lost "task-state" event cannot hang us.
    """
    inbox: queue.Queue[Any] = queue.Queue()
    stop = events(inbox.put)
    try:
        downloader.sweep()  # frames finished before we connected
        while not downloader.cancel.is_set():
            try:
                event = inbox.get(timeout=FINAL_CHECK_S)
            except queue.Empty:
                if is_final():
                    break
                continue
            if isinstance(event, Exception):
                raise event
            if getattr(event, "task", None) != task_uuid:
                continue
            if event.kind == "frame-done":
                for key in event.data.get("outputs") or []:
                    downloader.download(str(key))
            elif event.kind == "task-state" and is_final():
                break
    finally:
        stop()
    if downloader.cancel.is_set():
        raise TransferCancelled("the download was cancelled; run `hearth download` to fetch the rest")
    downloader.sweep()  # events can be lost; the listing cannot
    return sorted(downloader.outcomes.values(), key=lambda o: o.key)
