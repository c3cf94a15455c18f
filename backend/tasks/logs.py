"""Instance stdout/stderr: bounded tails, whole reads, and "fresh" reads with per-task cursors."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.tasks.errors import NotFoundError
from backend.tasks.tables import LogCursor, Task, TaskInstance

# Qarnot keeps a circular buffer per instance; this bounds what one instance row may hold.
MAX_TAIL_CHARS = 256 * 1024


class Stream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


def _tail(instance: TaskInstance, stream: Stream) -> tuple[str, int]:
    if stream is Stream.STDOUT:
        return instance.stdout_tail, instance.stdout_total
    return instance.stderr_tail, instance.stderr_total


def append(instance: TaskInstance, stream: Stream, text: str) -> None:
    """Adds output of an instance (used by the node service); old text falls off the tail."""
    tail, total = _tail(instance, stream)
    tail = (tail + text)[-MAX_TAIL_CHARS:]
    if stream is Stream.STDOUT:
        instance.stdout_tail, instance.stdout_total = tail, total + len(text)
    else:
        instance.stderr_tail, instance.stderr_total = tail, total + len(text)


def _since(instance: TaskInstance, stream: Stream, position: int) -> str:
    tail, total = _tail(instance, stream)
    unread = total - position
    if unread <= 0:
        return ""
    # Output that already fell off the tail is lost, as with Qarnot's circular buffers.
    return tail[-unread:] if unread < len(tail) else tail


def _prefixed(instance_id: int, text: str) -> str:
    # One stream for all instances: each line says which frame wrote it.
    if not text:
        return ""
    lines = text.splitlines(keepends=True)
    return "".join(f"{instance_id}> {line}" for line in lines)


def _instances(session: Session, task: Task, instance_id: int | None) -> list[TaskInstance]:
    query = select(TaskInstance).where(TaskInstance.task_id == task.id)
    if instance_id is not None:
        query = query.where(TaskInstance.instance_id == instance_id)
    else:
        # Queued instances have never run, so they have no output.
        query = query.where(TaskInstance.stdout_total + TaskInstance.stderr_total > 0)
    instances = list(session.scalars(query.order_by(TaskInstance.instance_id)))
    if instance_id is not None and not instances:
        raise NotFoundError(f"task {task.uuid} has no instance {instance_id}")
    return instances


def read(session: Session, task: Task, stream: Stream, instance_id: int | None = None) -> str:
    """The whole retained output: of one instance raw, of all instances line-prefixed."""
    instances = _instances(session, task, instance_id)
    if instance_id is not None:
        return _tail(instances[0], stream)[0]
    return "".join(_prefixed(i.instance_id, _tail(i, stream)[0]) for i in instances)


def _cursor(session: Session, task: Task, stream: Stream, scope: str, instance_id: int) -> LogCursor:
    cursor = session.scalar(
        select(LogCursor).where(
            LogCursor.task_id == task.id,
            LogCursor.stream == stream.value,
            LogCursor.scope == scope,
            LogCursor.instance_id == instance_id,
        )
    )
    if cursor is None:
        cursor = LogCursor(
            task_id=task.id, stream=stream.value, scope=scope, instance_id=instance_id, position=0
        )
        session.add(cursor)
    return cursor


def read_fresh(session: Session, task: Task, stream: Stream, instance_id: int | None = None) -> str:
    """Output written since the previous fresh read of the same scope, and moves the cursor."""
    scope = "task" if instance_id is None else "instance"
    parts: list[str] = []
    for instance in _instances(session, task, instance_id):
        cursor = _cursor(session, task, stream, scope, instance.instance_id)
        text = _since(instance, stream, cursor.position)
        cursor.position = _tail(instance, stream)[1]
        parts.append(text if instance_id is not None else _prefixed(instance.instance_id, text))
    return "".join(parts)
