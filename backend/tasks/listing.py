"""Keyset pages over small per-account row sets whose tags are filtered in Python (pools, jobs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from backend.tasks.filters import matches, parse_filter
from backend.tasks.paging import decode_token, encode_token, page_size
from backend.tasks.schemas.common import Page, PageRequest


class TaggedRow(Protocol):
    id: int
    tags: list[str]


R = TypeVar("R", bound=TaggedRow)
P = TypeVar("P")


def page_rows(kind: str, rows: Sequence[R], request: PageRequest, public: Callable[[R], P]) -> Page[P]:
    """`rows` ordered by id; returns the page after the token's id that matches the filter."""
    after = decode_token(kind, request.filter, request.token)
    size = page_size(request.maximum_results)
    flt = parse_filter(request.filter)
    chosen = [r for r in rows if r.id > after and matches(flt, r.tags)][: size + 1]
    truncated = len(chosen) > size
    chosen = chosen[:size]
    next_token = encode_token(kind, request.filter, chosen[-1].id) if truncated else None
    return Page[P](
        data=[public(r) for r in chosen], next_token=next_token, is_truncated=truncated, token=request.token
    )
