"""Schema building blocks shared by tasks, pools and jobs (camelCase on the wire, strict inputs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from backend.profiles.validation import first_control_character

T = TypeVar("T")

QARNOT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _none_to_empty_list(value: Any) -> Any:
    # The SDK sends null for lists it never initialised; lists are never null on our side.
    return [] if value is None else value


def _none_to_empty_dict(value: Any) -> Any:
    return {} if value is None else value


def _no_control_characters(value: str) -> str:
    found = first_control_character(value)
    if found is not None:
        position, char = found
        raise ValueError(
            f"may not contain control characters such as NUL or line breaks (found {char!r} at position "
            f"{position}); use plain text"
        )
    return value


# Names shown in lists, logs and file names: one line of printable text.
PlainText = Annotated[str, AfterValidator(_no_control_characters)]
NullableList = Annotated[list[T], BeforeValidator(_none_to_empty_list)]
StrDict = Annotated[dict[str, str], BeforeValidator(_none_to_empty_dict)]
JsonObject = dict[str, Any]


class StrictInput(BaseModel):
    """Request bodies: unknown keys are rejected so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class PublicModel(BaseModel):
    """Response bodies, serialised with camelCase aliases."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class KeyValue(StrictInput):
    key: str
    value: str | None = None


class PrefixRule(StrictInput):
    prefix: str = ""


class BucketFiltering(StrictInput):
    prefix_filtering: PrefixRule | None = None


class ResourcesTransformation(StrictInput):
    strip_prefix: PrefixRule | None = None


class AdvancedBucket(StrictInput):
    """One resource bucket as the SDK sends it, with optional prefix filter and prefix stripping."""

    bucket_name: str = Field(min_length=1)
    filtering: BucketFiltering | None = None
    resources_transformation: ResourcesTransformation | None = None
    cache_ttl_sec: int | None = Field(default=None, alias="cacheTTLSec")


class RetrySettings(StrictInput):
    max_total_retries: int | None = Field(default=None, ge=0)
    max_per_instance_retries: int | None = Field(default=None, ge=0)


class Privileges(StrictInput):
    export_api_and_storage_credentials_in_environment: bool | None = None


class PageRequest(StrictInput):
    """Body of every `*/paginate` endpoint."""

    filter: JsonObject | None = None
    token: str | None = None
    maximum_results: int | None = Field(default=None, ge=1)


class Page(PublicModel, Generic[T]):
    data: list[T]
    next_token: str | None
    is_truncated: bool
    token: str | None = None


class UuidReply(PublicModel):
    uuid: str


def qarnot_date(value: datetime | None) -> str | None:
    """`%Y-%m-%dT%H:%M:%SZ`: the one date format the SDK's parse_datetime accepts without fractions."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime(QARNOT_DATE_FORMAT)
