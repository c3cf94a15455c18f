"""The farm's earlier tasks as TaskInfo rows, and the body to resubmit one of them (plain Python, no Qt)."""

from __future__ import annotations

from typing import Any

from render_app.state import FrameInfo, TaskInfo
from render_client.frames import parse_frames

HISTORY_LIMIT = 50  # the newest tasks listed at connect; older ones stay on the farm
SCOUT_SUFFIX = " scout"  # estimate.scout_settings names scout tasks this way
# What a resubmission keeps of the earlier task: the same input bucket, frames and render constants.
RESUBMIT_FIELDS = ("name", "profile", "advancedRanges", "constants", "advancedResourceBuckets", "tags")


def task_from_json(data: dict[str, Any]) -> TaskInfo | None:
    """A row for one earlier task; None for tasks that are not frame renders (no advancedRanges)."""
    ranges = data.get("advancedRanges")
    if not ranges:
        return None
    frames = parse_frames(str(ranges))
    name = str(data.get("name") or "")
    task = TaskInfo(
        str(data["uuid"]),
        name,
        str(data.get("state") or ""),
        frames,
        data.get("resultBucket"),
        None,
        {"body": resubmit_body(data)},
        scout=name.endswith(SCOUT_SUFFIX),
    )
    for done in data.get("completedInstances") or []:
        number = done.get("instanceId")
        if number in task.frame_info:
            state = "Done" if done.get("state") == "Success" else "Failed"
            task.frame_info[number] = FrameInfo(number, state, 100.0 if state == "Done" else 0.0)
    return task


def resubmit_body(data: dict[str, Any]) -> dict[str, Any]:
    body = {key: data[key] for key in RESUBMIT_FIELDS if data.get(key) is not None}
    if data.get("hearthPriority") is not None:
        body["hearthPriority"] = data["hearthPriority"]
    return body
