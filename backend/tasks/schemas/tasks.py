"""Task schemas: the SDK's submit body (create/update), and the public task document."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from backend.tasks.schemas.common import (
    AdvancedBucket,
    JsonObject,
    KeyValue,
    NullableList,
    PlainText,
    Privileges,
    PublicModel,
    RetrySettings,
    StrDict,
    StrictInput,
)


class AdvancedDependency(StrictInput):
    task_uuid: str
    task_final_state_condition: list[str] | None = None


class Dependencies(StrictInput):
    depends_on: NullableList[str] = []
    advanced_depends_on: NullableList[AdvancedDependency] = []
    state: str | None = None


class TaskCreate(StrictInput):
    """Every key `qarnot.task.Task._to_json` (SDK 2.23.0) can send, plus `hearthPriority`."""

    name: PlainText = Field(min_length=1, max_length=512)
    profile: str | None = None
    pool_uuid: str | None = None
    job_uuid: str | None = None
    shortname: PlainText | None = Field(default=None, max_length=512)
    project_uuid: str | None = None
    constants: NullableList[KeyValue] = []
    constraints: NullableList[KeyValue] = []
    forced_constants: NullableList[JsonObject] = []
    wait_for_pool_resources_synchronization: bool | None = None
    upload_results_on_cancellation: bool | None = None
    labels: StrDict = {}
    dependencies: Dependencies | None = None
    advanced_resource_buckets: NullableList[AdvancedBucket] = []
    resource_buckets: NullableList[str] = []
    max_time_queue_seconds: int | None = None
    result_bucket: str | None = None
    results_cache_ttl_sec: int | None = Field(default=None, alias="ResultsCacheTTLSec")
    advanced_ranges: str | None = None
    instance_count: int | None = None
    tags: NullableList[str] = []
    snapshot_whitelist: str | None = None
    snapshot_blacklist: str | None = None
    results_whitelist: str | None = None
    results_blacklist: str | None = None
    auto_delete_on_completion: bool | None = None
    completion_time_to_live: str | None = None
    hardware_constraints: NullableList[JsonObject] = []
    default_resources_cache_ttl_sec: int | None = Field(default=None, alias="defaultResourcesCacheTTLSec")
    privileges: Privileges | None = None
    retry_settings: RetrySettings | None = None
    scheduling_type: str | None = None
    targeted_reserved_machine_key: str | None = None
    targeted_reservation_name: str | None = None
    forced_network_rules: NullableList[JsonObject] = []
    secrets_access_rights: JsonObject | None = None
    hearth_priority: int | None = Field(default=None, ge=-100, le=100)


class TaskUpdate(TaskCreate):
    """`PUT /tasks/{uuid}` (task.commit()): the SDK resends the whole submit body."""


class BulkSubmitResult(PublicModel):
    status_code: int
    uuid: str | None
    message: str | None


class TaskError(PublicModel):
    code: str
    message: str
    debug: str = ""


class CompletedInstance(PublicModel):
    instance_id: int
    state: str
    wall_time_sec: float
    exec_time_sec: float
    exec_time_sec_ghz: float = Field(serialization_alias="execTimeSecGHz")
    peak_memory_mb: int = Field(serialization_alias="peakMemoryMB")
    average_ghz: float = Field(serialization_alias="averageGHz")
    results: list[str]
    execution_attempt_count: int


class PerRunningInstanceInfo(PublicModel):
    phase: str
    instance_id: int
    progress: float
    execution_time_sec: float
    execution_attempt_count: int
    active_forwards: list[Any] = []
    vpn_connections: list[Any] = []


class RunningInstancesInfo(PublicModel):
    timestamp: str
    snapshot_results: list[Any] = []
    running_core_count_by_cpu_model: list[Any] = []
    per_running_instance_info: list[PerRunningInstanceInfo]


class TaskStatus(PublicModel):
    download_progress: float
    execution_progress: float
    upload_progress: float
    instance_count: int
    execution_time_sec: float
    wall_time_sec: float
    succeeded_range: str
    executed_range: str
    failed_range: str
    last_update_timestamp: str
    execution_time_by_cpu_model: list[Any] = []
    execution_time_ghz_by_cpu_model: list[Any] = []
    running_instances_info: RunningInstancesInfo | None = None


class TaskPublic(PublicModel):
    """GET /tasks/{uuid}: every REQUIRED field of qarnot-api.md 5.2; lists are never null."""

    uuid: str
    name: str
    shortname: str | None
    profile: str | None
    pool_uuid: str | None
    job_uuid: str | None
    state: str
    previous_state: str | None
    state_transition_time: str | None
    previous_state_transition_time: str | None
    creation_date: str
    last_modified: str | None
    end_date: str | None
    instance_count: int
    advanced_ranges: str | None
    running_instance_count: int
    running_core_count: int
    results_count: int
    result_bucket: str | None
    advanced_resource_buckets: list[JsonObject]
    resource_buckets: list[str]
    constants: list[KeyValue]
    tags: list[str]
    labels: dict[str, str]
    errors: list[TaskError]
    completed_instances: list[CompletedInstance]
    status: TaskStatus
    progress: float
    execution_time: str
    wall_time: str
    snapshot_interval: int
    upload_results_on_cancellation: bool
    auto_delete_on_completion: bool
    completion_time_to_live: str
    hardware_constraints: list[JsonObject]
    forced_network_rules: list[JsonObject]
    privileges: JsonObject
    retry_settings: RetrySettings
    dependencies: JsonObject
    hearth_priority: int
    hearth_policy: str
    hearth_deadline: str | None


class SnapshotRequest(StrictInput):
    whitelist: str | None = None
    blacklist: str | None = None
    bucket: str | None = None
    bucket_prefix: str | None = None


class PeriodicSnapshotRequest(SnapshotRequest):
    interval: int


class SnapshotId(PublicModel):
    id: str


class SnapshotPublic(PublicModel):
    id: str
    task_uuid: str
    trigger_date: str
    last_update_date: str
    snapshot_config: SnapshotRequest
    status: str
    size_to_upload: int
    transferred_size: int
