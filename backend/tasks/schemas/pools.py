"""Pool schemas: the SDK's pool body (create/update) and the public pool document."""

from __future__ import annotations

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


class ElasticProperty(StrictInput):
    is_elastic: bool | None = None
    min_total_slots: int | None = None
    max_total_slots: int | None = None
    min_idle_slots: int | None = None
    resize_period: int | None = None
    ramp_resize_factor: float | None = None
    min_idle_time_seconds: int | None = None


class PoolCreate(StrictInput):
    """Every key `qarnot.pool.Pool._to_json` (SDK 2.23.0) can send."""

    name: PlainText = Field(min_length=1, max_length=512)
    profile: str = Field(min_length=1)
    shortname: PlainText | None = Field(default=None, max_length=512)
    constants: NullableList[KeyValue] = []
    forced_constants: NullableList[JsonObject] = []
    constraints: NullableList[KeyValue] = []
    instance_count: int = Field(default=1, ge=1, le=100_000)
    tags: NullableList[str] = []
    preparation_task: JsonObject | None = None
    elastic_property: ElasticProperty | None = None
    task_default_wait_for_pool_resources_synchronization: bool | None = None
    labels: StrDict = {}
    advanced_resource_buckets: NullableList[AdvancedBucket] = []
    auto_delete_on_completion: bool | None = None
    completion_time_to_live: str | None = None
    hardware_constraints: NullableList[JsonObject] = []
    default_resources_cache_ttl_sec: int | None = Field(default=None, alias="defaultResourcesCacheTTLSec")
    privileges: Privileges | None = None
    default_retry_settings: RetrySettings | None = None
    max_time_queue_seconds: int | None = None
    scheduling_type: str | None = None
    targeted_reserved_machine_key: str | None = None
    targeted_reservation_name: str | None = None
    forced_network_rules: NullableList[JsonObject] = []
    secrets_access_rights: JsonObject | None = None
    multi_slots_settings: JsonObject | None = None
    project_uuid: str | None = None


class PoolUpdate(PoolCreate):
    """`PUT /pools/{uuid}` (pool.commit()): the whole body again."""


class PoolPublic(PublicModel):
    uuid: str
    name: str
    shortname: str | None
    profile: str
    state: str
    creation_date: str
    last_modified: str | None
    instance_count: int
    constants: list[KeyValue]
    tags: list[str]
    labels: dict[str, str]
    advanced_resource_buckets: list[JsonObject]
    resource_buckets: list[str]
    errors: list[JsonObject]
    hardware_constraints: list[JsonObject]
    forced_network_rules: list[JsonObject]
    elastic_property: JsonObject
    default_retry_settings: RetrySettings
    privileges: JsonObject
    running_instance_count: int
    running_core_count: int
    total_slot_capacity: int
    queued_or_running_task_instances_count: int
