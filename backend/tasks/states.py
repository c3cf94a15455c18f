"""The task state machine: Qarnot task states derived from the states of the task's instances.

Pure functions only, so the API, the scheduler and the node service all agree on one mapping
(qarnot-api.md section 5.3). The SDK's `wait()` keeps polling only while the state is one of
RUNNING_STATES, so no other string may ever be exposed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum


class TaskState(StrEnum):
    SUBMITTED = "Submitted"
    PARTIALLY_DISPATCHED = "PartiallyDispatched"
    FULLY_DISPATCHED = "FullyDispatched"
    PARTIALLY_EXECUTING = "PartiallyExecuting"
    FULLY_EXECUTING = "FullyExecuting"
    UPLOADING_RESULTS = "UploadingResults"
    SUCCESS = "Success"
    FAILURE = "Failure"
    CANCELLED = "Cancelled"


class InstanceState(StrEnum):
    """One frame's life on the farm; `uploading` = rendered, outputs still going to the result bucket."""

    QUEUED = "queued"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    UPLOADING = "uploading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_TASK_STATES = frozenset({TaskState.SUCCESS, TaskState.FAILURE, TaskState.CANCELLED})
RUNNING_TASK_STATES = frozenset(set(TaskState) - FINAL_TASK_STATES)
FINAL_INSTANCE_STATES = frozenset({InstanceState.DONE, InstanceState.FAILED, InstanceState.CANCELLED})
PENDING_INSTANCE_STATES = frozenset({InstanceState.QUEUED, InstanceState.DISPATCHED})
ACTIVE_INSTANCE_STATES = frozenset({InstanceState.RUNNING, InstanceState.UPLOADING})


def is_final(state: TaskState | str) -> bool:
    return TaskState(state) in FINAL_TASK_STATES


def _final_state(counts: Mapping[InstanceState, int]) -> TaskState:
    if counts.get(InstanceState.FAILED, 0):
        return TaskState.FAILURE
    if counts.get(InstanceState.CANCELLED, 0):
        return TaskState.CANCELLED
    return TaskState.SUCCESS


def derive_task_state(instances: Mapping[InstanceState, int] | Iterable[InstanceState]) -> TaskState:
    """The task state for its instances' states, given as a list or as counts per state.

    Submitted: all queued. Partially/FullyDispatched: some/all handed to nodes, none started.
    Partially/FullyExecuting: work has started and some/no instance still waits for a node.
    UploadingResults: only uploads remain. Final: Failure if any instance failed for good, else
    Cancelled if any was cancelled, else Success. A task without instances stays Submitted.
    """
    counts: Mapping[InstanceState, int] = (
        instances if isinstance(instances, Mapping) else Counter(InstanceState(s) for s in instances)
    )
    total = sum(counts.values())
    queued = counts.get(InstanceState.QUEUED, 0)
    dispatched = counts.get(InstanceState.DISPATCHED, 0)
    running = counts.get(InstanceState.RUNNING, 0)
    uploading = counts.get(InstanceState.UPLOADING, 0)
    finished = sum(counts.get(s, 0) for s in FINAL_INSTANCE_STATES)
    if total in (0, queued):
        return TaskState.SUBMITTED
    if finished == total:
        return _final_state(counts)
    pending = queued + dispatched
    if running == 0 and uploading == 0 and finished == 0:
        return TaskState.FULLY_DISPATCHED if queued == 0 else TaskState.PARTIALLY_DISPATCHED
    if pending == 0 and running == 0 and uploading > 0:
        return TaskState.UPLOADING_RESULTS
    return TaskState.PARTIALLY_EXECUTING if pending else TaskState.FULLY_EXECUTING


def state_after_abort(state: TaskState | str) -> TaskState:
    """Abort goes straight to Cancelled: an intermediate state would end the SDK's wait() early."""
    if is_final(state):
        raise ValueError(f"a task in state {state} cannot be aborted")
    return TaskState.CANCELLED
