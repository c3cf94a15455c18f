"""Task snapshots (Qarnot's mechanism for partial results): instant requests, status, periodic interval."""

from __future__ import annotations

import uuid as uuid_module

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.previews.store import PreviewStore
from backend.storage.engine import StorageEngine
from backend.tasks.buckets import check_key_prefix
from backend.tasks.errors import InvalidRequestError, NotAllowedError, NotFoundError
from backend.tasks.schemas.common import qarnot_date
from backend.tasks.schemas.tasks import SnapshotPublic, SnapshotRequest
from backend.tasks.states import is_final
from backend.tasks.tables import Snapshot, Task

MIN_SNAPSHOT_INTERVAL_S = 5
MAX_SNAPSHOT_INTERVAL_S = 7 * 24 * 3600
SNAPSHOT_DONE = "Success"
DEFAULT_SNAPSHOT_PREFIX = "previews/"


def trigger(
    session: Session, task: Task, request: SnapshotRequest, storage: StorageEngine, previews: PreviewStore
) -> str:
    """Copies the latest preview of every frame into the snapshot bucket and returns the snapshot id.

    Frames in progress exist only as the previews their nodes stream (backend/previews), so those
    are what a snapshot publishes: `{prefix}frame_NNNN.jpg` in `bucket`, else in the result bucket.
    The copy is small and done before answering, so the snapshot is complete when its id is.
    """
    if is_final(task.state):
        raise NotAllowedError(f"task {task.uuid} already finished ({task.state}); its results are complete")
    bucket = request.bucket or task.result_bucket
    if not bucket:
        raise InvalidRequestError("this task has no result bucket; name a snapshot bucket in the request")
    prefix = request.bucket_prefix if request.bucket_prefix is not None else DEFAULT_SNAPSHOT_PREFIX
    published = publish_previews(storage, previews, task.uuid, bucket, prefix)
    snapshot = Snapshot(
        uuid=str(uuid_module.uuid4()),
        task_id=task.id,
        status=SNAPSHOT_DONE,
        config=request.model_dump(mode="json", by_alias=True),
        size_to_upload=published,
        transferred_size=published,
    )
    session.add(snapshot)
    return snapshot.uuid


def publish_previews(
    storage: StorageEngine, previews: PreviewStore, task_uuid: str, bucket: str, prefix: str
) -> int:
    """Puts each frame's best preview in the bucket; returns the bytes written."""
    # Callers check the prefix at the API edge; checking again here keeps every caller honest.
    check_key_prefix(prefix, "snapshot bucketPrefix")
    written = 0
    for ref in previews.latest(task_uuid):
        with open(ref.path, "rb") as handle:
            data = handle.read()
        storage.put_object(
            bucket, f"{prefix}frame_{ref.frame:04d}.jpg", [data], content_type="image/jpeg", metadata={}
        )
        written += len(data)
    return written


def status(session: Session, task: Task, snapshot_id: str) -> SnapshotPublic:
    snapshot = session.scalar(
        select(Snapshot).where(Snapshot.task_id == task.id, Snapshot.uuid == snapshot_id)
    )
    if snapshot is None:
        raise NotFoundError(f"task {task.uuid} has no snapshot {snapshot_id}")
    return SnapshotPublic(
        id=snapshot.uuid,
        task_uuid=task.uuid,
        trigger_date=qarnot_date(snapshot.triggered_at) or "",
        last_update_date=qarnot_date(snapshot.updated_at) or "",
        snapshot_config=SnapshotRequest.model_validate(snapshot.config),
        status=snapshot.status,
        size_to_upload=snapshot.size_to_upload,
        transferred_size=snapshot.transferred_size,
    )


def check_interval(interval_s: int) -> None:
    # The SDK turns this 400 into ValueError(interval).
    if not MIN_SNAPSHOT_INTERVAL_S <= interval_s <= MAX_SNAPSHOT_INTERVAL_S:
        raise InvalidRequestError(
            f"snapshot interval {interval_s} s is out of range; "
            f"use {MIN_SNAPSHOT_INTERVAL_S} to {MAX_SNAPSHOT_INTERVAL_S} seconds"
        )


def set_periodic(task: Task, interval_s: int) -> None:
    check_interval(interval_s)
    task.snapshot_interval_s = interval_s
    task.updated_at = utcnow()
