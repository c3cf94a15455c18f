"""Instance ids in URL paths: digits only and within the frame-number range, else 404 before any query."""

from __future__ import annotations

from fastapi import HTTPException

from render_client.frames import MAX_FRAME_NUMBER

# An instance id is a frame number (advanced ranges) or an index below the instance count, so nothing
# larger can name one; bounding it keeps huge numbers away from the database (SQLite integers are 64-bit).
MAX_INSTANCE_ID = MAX_FRAME_NUMBER


def instance_number(instance_id: str) -> int:
    """The instance number named by a path segment; 404 (MissingTaskInstanceException) when none can match."""
    # isascii: str.isdigit also accepts digits such as '²' that int() refuses.
    if not (instance_id.isascii() and instance_id.isdigit()) or len(instance_id) > len(str(MAX_INSTANCE_ID)):
        raise HTTPException(404, f"no task instance {instance_id[:40]!r}")
    number = int(instance_id)
    if number > MAX_INSTANCE_ID:
        raise HTTPException(404, f"no task instance {instance_id!r}")
    return number
