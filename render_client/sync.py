"""Content-addressed incremental upload of a package to a bucket: skip, copy, upload, resume, delete."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from render_client import multipart
from render_client.hash_cache import FileHash, HashCache
from render_client.packing_report import Package
from render_client.progress import ProgressCallback, ProgressTracker, TransferSnapshot
from render_client.transfer import RemoteObject, TransferCancelled, list_objects, translated

DEFAULT_WORKERS = 16
# S3 refuses CopyObject above 5 GiB; bigger duplicates are uploaded instead.
MAX_COPY_SIZE_B = 5 * 1024**3
CANCEL_POLL_S = 0.05


@dataclass(frozen=True)
class Upload:
    key: str
    path: Path
    hash: FileHash


@dataclass(frozen=True)
class Copy:
    key: str
    source_key: str
    size_b: int


@dataclass
class SyncPlan:
    """What a sync will do; `copies_from_remote` run before uploads, `copies_from_local` after them."""

    uploads: list[Upload] = field(default_factory=list)
    copies_from_remote: list[Copy] = field(default_factory=list)
    copies_from_local: list[Copy] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)

    @property
    def upload_bytes(self) -> int:
        return sum(u.hash.size_b for u in self.uploads)


@dataclass(frozen=True)
class SyncResult:
    bucket: str
    files_total: int
    files_uploaded: int
    files_copied: int
    files_unchanged: int
    files_deleted: int
    bytes_uploaded: int  # bytes sent by this run
    bytes_resumed: int  # bytes of interrupted multipart uploads that were already on the farm
    bytes_total: int  # size of every file of the package
    elapsed_s: float


def _matches(remote: RemoteObject, local: FileHash) -> bool:
    # A server-side copy of a multipart object may carry the plain MD5 ETag: both mean "same bytes".
    return remote.size_b == local.size_b and remote.etag in (local.etag, local.md5)


def plan_sync(
    files: Mapping[str, Path],
    hashes: Mapping[Path, FileHash],
    remote: Mapping[str, RemoteObject],
    *,
    delete: bool = False,
) -> SyncPlan:
    """Compares local hashes with the bucket listing; pure, so it is tested without S3."""
    plan = SyncPlan()
    by_content: dict[tuple[str, int], str] = {}
    for obj in remote.values():
        by_content.setdefault((obj.etag, obj.size_b), obj.key)
    uploaded: dict[tuple[str, int], str] = {}
    for key, path in sorted(files.items()):
        local = hashes[path]
        existing = remote.get(key)
        if existing is not None and _matches(existing, local):
            plan.unchanged.append(key)
            continue
        source = by_content.get((local.etag, local.size_b)) or by_content.get((local.md5, local.size_b))
        if source is not None and local.size_b <= MAX_COPY_SIZE_B:
            plan.copies_from_remote.append(Copy(key, source, local.size_b))
            continue
        first = uploaded.get((local.etag, local.size_b))
        if first is not None and local.size_b <= MAX_COPY_SIZE_B:
            plan.copies_from_local.append(Copy(key, first, local.size_b))
            continue
        uploaded[(local.etag, local.size_b)] = key
        plan.uploads.append(Upload(key, path, local))
    if delete:
        plan.deletions = sorted(set(remote) - set(files))
    return plan


class _Runner:
    """Runs work items on one thread pool with a shared S3 client, honouring cancel and the first error."""

    def __init__(self, workers: int, cancel: threading.Event) -> None:
        self._pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hearth-sync")
        self._cancel = cancel

    def run(self, items: list[Callable[[], None]]) -> None:
        futures = [self._pool.submit(self._guarded, item) for item in items]
        pending = set(futures)
        try:
            while pending:
                done, pending = cf.wait(pending, timeout=CANCEL_POLL_S, return_when=cf.FIRST_EXCEPTION)
                for future in done:
                    future.result()  # re-raises a worker's error here, in the caller's thread
                if self._cancel.is_set():
                    raise TransferCancelled("the transfer was cancelled; run it again to finish it")
        except BaseException:
            for future in pending:
                future.cancel()
            cf.wait(pending)
            raise

    def _guarded(self, item: Callable[[], None]) -> None:
        if self._cancel.is_set():
            return
        item()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Syncer:
    """Uploads files to one bucket; one instance per sync, safe to cancel from any thread."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        hash_cache: HashCache | None = None,
        state_store: multipart.UploadStateStore | None = None,
        workers: int = DEFAULT_WORKERS,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self._own_cache = hash_cache is None
        self.hash_cache = hash_cache if hash_cache is not None else HashCache()
        self.state_store = state_store or multipart.UploadStateStore()
        self.workers = max(1, workers)
        self.cancel = cancel or threading.Event()
        self.tracker = ProgressTracker(progress)
        self._lock = threading.Lock()
        self._sent_b = 0
        self._resumed_b = 0
        self._uploaded = 0

    def plan(self, files: Mapping[str, Path], *, delete: bool = False) -> SyncPlan:
        with translated("hashing the scene's files"):
            hashes = self.hash_cache.hash_many(sorted(set(files.values())))
        return plan_sync(files, hashes, list_objects(self.client, self.bucket), delete=delete)

    def sync(self, files: Mapping[str, Path], *, delete: bool = False) -> SyncResult:
        try:
            plan = self.plan(files, delete=delete)
            return self.execute(plan, files)
        finally:
            if self._own_cache:
                self.hash_cache.close()

    def execute(self, plan: SyncPlan, files: Mapping[str, Path]) -> SyncResult:
        big = [u for u in plan.uploads if u.hash.size_b >= self.hash_cache.part_size_b]
        small = [u for u in plan.uploads if u.hash.size_b < self.hash_cache.part_size_b]
        copies = len(plan.copies_from_remote) + len(plan.copies_from_local)
        self.tracker.set_totals(plan.upload_bytes, len(plan.uploads) + copies)
        runner = _Runner(self.workers, self.cancel)
        try:
            runner.run([self._copy_item(c) for c in plan.copies_from_remote])
            jobs = [self._start_multipart(u) for u in big]
            all_there = [job for job in jobs if not job.missing_parts()]
            # Largest work first (parts, then small files by size) so no big item trails alone at the end.
            items = [self._part_item(job, n) for job in jobs for n in job.missing_parts()]
            items += [self._put_item(u) for u in sorted(small, key=lambda u: -u.hash.size_b)]
            runner.run(items)
            # A resumed upload whose parts were all on the farm already has no worker to complete it.
            runner.run([functools.partial(self._finish, job) for job in all_there])
            runner.run([self._copy_item(c) for c in plan.copies_from_local])
            runner.run([self._delete_item(k) for k in plan.deletions])
        finally:
            runner.close()
        snap = self.tracker.finish()
        return SyncResult(
            bucket=self.bucket,
            files_total=len(files),
            files_uploaded=self._uploaded,
            files_copied=copies,
            files_unchanged=len(plan.unchanged),
            files_deleted=len(plan.deletions),
            bytes_uploaded=self._sent_b,
            bytes_resumed=self._resumed_b,
            bytes_total=sum(p.stat().st_size for p in set(files.values())),
            elapsed_s=snap.elapsed_s,
        )

    def snapshot(self) -> TransferSnapshot:
        return self.tracker.snapshot()

    # -- work items ----------------------------------------------------------------------------

    def _sent(self, count: int) -> None:
        with self._lock:
            self._sent_b += count
        self.tracker.add_bytes(count)

    def _file_done(self, uploaded: bool) -> None:
        if uploaded:
            with self._lock:
                self._uploaded += 1
        self.tracker.add_file()

    def _put_item(self, upload: Upload) -> Callable[[], None]:
        def put() -> None:
            with translated(f"uploading {upload.key}"):
                data = upload.path.read_bytes()
                if len(data) != upload.hash.size_b:
                    raise OSError(f"{upload.path} changed while syncing; sync again")
                self.client.put_object(Bucket=self.bucket, Key=upload.key, Body=data)
            self._sent(len(data))
            self._file_done(uploaded=True)

        return put

    def _start_multipart(self, upload: Upload) -> multipart.MultipartJob:
        job = multipart.start(
            self.client,
            self.state_store,
            bucket=self.bucket,
            key=upload.key,
            path=upload.path,
            etag=upload.hash.etag,
            size_b=upload.hash.size_b,
            part_size_b=self.hash_cache.part_size_b,
        )
        if job.resumed_b:
            with self._lock:
                self._resumed_b += job.resumed_b
            self.tracker.add_bytes(job.resumed_b)
        return job

    def _part_item(self, job: multipart.MultipartJob, number: int) -> Callable[[], None]:
        def part() -> None:
            size, etag = multipart.upload_part(self.client, job, number)
            self._sent(size)
            if job.record(number, etag, self.state_store):
                self._finish(job)

        return part

    def _finish(self, job: multipart.MultipartJob) -> None:
        multipart.complete(self.client, job, self.state_store)
        self._file_done(uploaded=True)

    def _copy_item(self, copy: Copy) -> Callable[[], None]:
        def run() -> None:
            with translated(f"copying {copy.source_key} to {copy.key}"):
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=copy.key,
                    CopySource={"Bucket": self.bucket, "Key": copy.source_key},
                )
            self._file_done(uploaded=False)

        return run

    def _delete_item(self, key: str) -> Callable[[], None]:
        def run() -> None:
            with translated(f"deleting {key}"):
                self.client.delete_object(Bucket=self.bucket, Key=key)

        return run


def sync_files(
    client: Any, bucket: str, files: Mapping[str, Path], *, delete: bool = False, **options: Any
) -> SyncResult:
    """Uploads `files` (bucket key -> local path) so the bucket holds exactly their content."""
    return Syncer(client, bucket, **options).sync(files, delete=delete)


def sync_package(
    client: Any, bucket: str, package: Package, *, delete: bool = False, **options: Any
) -> SyncResult:
    """Uploads a packed scene; `delete` removes objects that are no longer part of it."""
    return sync_files(client, bucket, package.files, delete=delete, **options)
