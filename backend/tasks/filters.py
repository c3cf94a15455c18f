"""Tag filters of the paginate endpoints (Equal / Or / And on Tags), checked and compiled."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from backend.tasks.errors import InvalidRequestError

MAX_FILTER_DEPTH = 8

E = TypeVar("E")


@dataclass(frozen=True)
class TagEquals:
    tag: str


@dataclass(frozen=True)
class AllOf:
    filters: tuple[TagFilter, ...]


@dataclass(frozen=True)
class AnyOf:
    filters: tuple[TagFilter, ...]


TagFilter = TagEquals | AllOf | AnyOf


def parse_filter(data: dict[str, Any] | None, depth: int = 0) -> TagFilter | None:
    """The filter object the SDK sends, or None for no filter; InvalidRequestError for anything else."""
    if data is None:
        return None
    if depth > MAX_FILTER_DEPTH:
        raise InvalidRequestError(f"filter is nested more than {MAX_FILTER_DEPTH} levels deep")
    operator = data.get("operator")
    if operator == "Equal":
        field, value = data.get("field"), data.get("value")
        if field != "Tags" or not isinstance(value, str):
            raise InvalidRequestError(
                f"filter {data!r}: only the field 'Tags' with a string value can be filtered on"
            )
        return TagEquals(value)
    if operator in ("And", "Or"):
        children = data.get("filters")
        if not isinstance(children, list) or not all(isinstance(c, dict) for c in children):
            raise InvalidRequestError(
                f"filter operator {operator} needs a list of filter objects in 'filters'"
            )
        parsed = tuple(f for f in (parse_filter(c, depth + 1) for c in children) if f is not None)
        return AllOf(parsed) if operator == "And" else AnyOf(parsed)
    raise InvalidRequestError(f"filter operator {operator!r} is not supported; use Equal, And or Or on Tags")


def matches(flt: TagFilter | None, tags: Collection[str]) -> bool:
    if flt is None:
        return True
    if isinstance(flt, TagEquals):
        return flt.tag in tags
    if isinstance(flt, AllOf):
        return all(matches(f, tags) for f in flt.filters)
    return any(matches(f, tags) for f in flt.filters) if flt.filters else True


def compile_filter(
    flt: TagFilter,
    has_tag: Callable[[str], E],
    all_of: Callable[[list[E]], E],
    any_of: Callable[[list[E]], E],
) -> E:
    """Builds a query expression (e.g. SQL EXISTS clauses) from a filter, bottom-up."""
    if isinstance(flt, TagEquals):
        return has_tag(flt.tag)
    parts = [compile_filter(f, has_tag, all_of, any_of) for f in flt.filters]
    return all_of(parts) if isinstance(flt, AllOf) else any_of(parts)
