"""Rules shared by every engine: multipart ETags and completion checks, listing with delimiters."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

from backend.storage.engine import (
    MIN_PART_BYTES,
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    ObjectInfo,
    ObjectPage,
    PartInfo,
)


def multipart_etag(part_etags: Iterable[str]) -> str:
    """AWS's multipart ETag: md5 of the concatenated binary part md5s, then '-' and the part count."""
    digests = [bytes.fromhex(etag) for etag in part_etags]
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


def check_completion(requested: list[tuple[int, str]], uploaded: Mapping[int, PartInfo]) -> list[PartInfo]:
    """The uploaded parts the completion request names, after S3's checks on order, ETags and sizes."""
    if not requested:
        raise InvalidPart("the part list is empty")
    chosen: list[PartInfo] = []
    previous = 0
    for number, etag in requested:
        if number <= previous:
            raise InvalidPartOrder("parts must be listed in ascending order of part number")
        previous = number
        part = uploaded.get(number)
        if part is None or part.etag != etag.strip('"').lower():
            raise InvalidPart(f"part {number} was not uploaded or its ETag does not match")
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_BYTES:
            raise EntityTooSmall(f"part {part.part_number} is smaller than 5 MiB and is not the last part")
    return chosen


# Sorts after every key that starts with a given prefix (keys are UTF-8 text).
PREFIX_END = "\U0010ffff"
LIST_BATCH = 1000


def list_page(
    fetch: Callable[[str, int], list[ObjectInfo]], *, prefix: str, delimiter: str, after: str, limit: int
) -> ObjectPage:
    """Applies S3 listing rules; `fetch(after, n)`: up to n objects with `prefix` and keys > after, sorted.

    A run of keys under one common prefix is skipped in one jump rather than read row by row.
    """
    found: list[ObjectInfo] = []
    prefixes: list[str] = []
    last: str | None = None
    cursor = after
    while True:
        batch = fetch(cursor, LIST_BATCH)
        if not batch:
            return ObjectPage(found, prefixes, False, None)
        for obj in batch:
            cursor = obj.key
            cut = obj.key.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = obj.key[: cut + len(delimiter)]
                if common <= after or (prefixes and prefixes[-1] == common):
                    cursor = common + PREFIX_END
                    break
                if len(found) + len(prefixes) >= limit:
                    return ObjectPage(found, prefixes, True, last)
                prefixes.append(common)
                last = common
                cursor = common + PREFIX_END
                break
            if len(found) + len(prefixes) >= limit:
                return ObjectPage(found, prefixes, True, last)
            found.append(obj)
            last = obj.key
        else:
            if len(batch) < LIST_BATCH:
                return ObjectPage(found, prefixes, False, None)


def filter_sorted(objects: Iterable[ObjectInfo], prefix: str, after: str, n: int) -> list[ObjectInfo]:
    """`fetch` for engines holding a sorted in-memory list."""
    out: list[ObjectInfo] = []
    for obj in objects:
        if obj.key > after and obj.key.startswith(prefix):
            out.append(obj)
            if len(out) >= n:
                break
    return out
