"""`/tasks/{uuid}/snapshot`: instant and periodic snapshots (previews of frames in progress)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from backend.api.body import json_body, optional_json_body
from backend.api.deps import CurrentPrincipal, Services
from backend.tasks.buckets import check_key_prefix
from backend.tasks.schemas.tasks import PeriodicSnapshotRequest, SnapshotId, SnapshotPublic, SnapshotRequest

router = APIRouter(tags=["snapshots"])

SnapshotBody = Annotated[SnapshotRequest | None, Depends(optional_json_body(SnapshotRequest))]
PeriodicBody = Annotated[PeriodicSnapshotRequest, Depends(json_body(PeriodicSnapshotRequest))]


@router.post("/tasks/{task_uuid}/snapshot")
def instant_snapshot(
    task_uuid: str, body: SnapshotBody, services: Services, principal: CurrentPrincipal
) -> SnapshotId:
    snapshot_id = services.tasks.snapshot(principal.account_id, task_uuid, body or SnapshotRequest())
    return SnapshotId(id=snapshot_id)


@router.post("/tasks/{task_uuid}/snapshot/periodic", status_code=204)
def periodic_snapshot(
    task_uuid: str, body: PeriodicBody, services: Services, principal: CurrentPrincipal
) -> Response:
    if body.bucket_prefix is not None:
        # Periodic snapshots publish under the same prefix as instant ones: refuse a bad one up front.
        check_key_prefix(body.bucket_prefix, "snapshot bucketPrefix")
    services.tasks.periodic_snapshot(principal.account_id, task_uuid, body.interval)
    return Response(status_code=204)


@router.get("/tasks/{task_uuid}/snapshot/{snapshot_id}")
def snapshot_status(
    task_uuid: str, snapshot_id: str, services: Services, principal: CurrentPrincipal
) -> SnapshotPublic:
    return services.tasks.snapshot_status(principal.account_id, task_uuid, snapshot_id)
