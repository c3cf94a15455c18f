"""Job schemas: the SDK's job body and the public job document."""

from __future__ import annotations

from pydantic import Field

from backend.tasks.schemas.common import NullableList, PlainText, PublicModel, StrictInput


class JobCreate(StrictInput):
    """Every key `qarnot.job.Job._to_json` (SDK 2.23.0) sends."""

    name: PlainText = Field(min_length=1, max_length=512)
    pool_uuid: str | None = None
    shortname: PlainText | None = Field(default=None, max_length=512)
    state: str | None = None  # the SDK sends "" on creation; the server decides the state
    tags: NullableList[str] = []
    use_dependencies: bool | None = None
    max_wall_time: str | None = None
    auto_delete_on_completion: bool | None = None
    completion_time_to_live: str | None = None


class JobPublic(PublicModel):
    uuid: str
    name: str
    shortname: str | None
    pool_uuid: str | None
    state: str
    creation_date: str
    last_modified: str | None
    use_dependencies: bool
    max_wall_time: str | None
    auto_delete_on_completion: bool
    completion_time_to_live: str | None
    tags: list[str]
