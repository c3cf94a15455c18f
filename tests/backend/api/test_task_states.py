"""The pure task state machine: Qarnot task states derived from instance states (qarnot-api.md 5.3)."""

from __future__ import annotations

import pytest

from backend.tasks.states import (
    RUNNING_TASK_STATES,
    InstanceState,
    TaskState,
    derive_task_state,
    is_final,
    state_after_abort,
)

Q, D, R, U = InstanceState.QUEUED, InstanceState.DISPATCHED, InstanceState.RUNNING, InstanceState.UPLOADING
OK, KO, X = InstanceState.DONE, InstanceState.FAILED, InstanceState.CANCELLED

# The SDK's wait() keeps polling only in these states (task.py RUNNING_DOWNLOADING_STATES).
SDK_RUNNING_STATES = {
    "Submitted",
    "PartiallyDispatched",
    "FullyDispatched",
    "PartiallyExecuting",
    "FullyExecuting",
    "DownloadingResults",
    "UploadingResults",
}


@pytest.mark.parametrize(
    ("instances", "expected"),
    [
        ([], TaskState.SUBMITTED),
        ([Q, Q, Q], TaskState.SUBMITTED),
        ([D, Q, Q], TaskState.PARTIALLY_DISPATCHED),
        ([D, D], TaskState.FULLY_DISPATCHED),
        ([R, Q], TaskState.PARTIALLY_EXECUTING),
        ([R, D], TaskState.PARTIALLY_EXECUTING),
        ([OK, Q], TaskState.PARTIALLY_EXECUTING),
        ([R, R, OK], TaskState.FULLY_EXECUTING),
        ([R, U], TaskState.FULLY_EXECUTING),
        ([U, OK], TaskState.UPLOADING_RESULTS),
        ([U, U], TaskState.UPLOADING_RESULTS),
        ([U, Q], TaskState.PARTIALLY_EXECUTING),
        ([OK, OK, OK], TaskState.SUCCESS),
        ([OK, KO, OK], TaskState.FAILURE),
        ([OK, X], TaskState.CANCELLED),
        ([KO, X], TaskState.FAILURE),
        ([X, X], TaskState.CANCELLED),
    ],
)
def test_derived_state(instances: list[InstanceState], expected: TaskState) -> None:
    assert derive_task_state(instances) is expected
    counts: dict[InstanceState, int] = {}
    for state in instances:
        counts[state] = counts.get(state, 0) + 1
    assert derive_task_state(counts) is expected


def test_only_states_the_sdk_knows_are_ever_running() -> None:
    assert {s.value for s in RUNNING_TASK_STATES} <= SDK_RUNNING_STATES
    assert {s.value for s in TaskState} - SDK_RUNNING_STATES == {"Success", "Failure", "Cancelled"}


def test_abort() -> None:
    assert state_after_abort(TaskState.FULLY_EXECUTING) is TaskState.CANCELLED
    assert state_after_abort("Submitted") is TaskState.CANCELLED
    assert is_final("Cancelled") and not is_final("UploadingResults")
    with pytest.raises(ValueError, match="cannot be aborted"):
        state_after_abort(TaskState.SUCCESS)
