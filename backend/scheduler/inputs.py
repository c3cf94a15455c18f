"""The input manifest of a task: every resource object a node must fetch, by its path in the task dir."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.storage.engine import StorageEngine

LIST_PAGE = 1000


@dataclass(frozen=True)
class InputFile:
    path: str  # relative path in the node's task directory
    bucket: str
    key: str
    size: int
    etag: str


def _prefix(rule: Any) -> str:
    return str(rule.get("prefix", "")) if isinstance(rule, dict) else ""


def input_manifest(storage: StorageEngine, resource_buckets: list[dict[str, Any]]) -> list[InputFile]:
    """Resource buckets merge like an overlay: a later bucket wins a path clash (Qarnot semantics)."""
    files: dict[str, InputFile] = {}
    for bucket in resource_buckets:
        name = str(bucket.get("bucketName", ""))
        only = _prefix((bucket.get("filtering") or {}).get("prefixFiltering"))
        strip = _prefix((bucket.get("resourcesTransformation") or {}).get("stripPrefix"))
        after = ""
        while True:
            page = storage.list_objects(name, prefix=only, after=after, limit=LIST_PAGE)
            for obj in page.objects:
                if obj.key.endswith("/"):
                    continue
                path = obj.key[len(strip) :] if strip and obj.key.startswith(strip) else obj.key
                files[path] = InputFile(path, name, obj.key, obj.size, obj.etag)
            if not page.is_truncated or not page.next_marker:
                break
            after = page.next_marker
    return sorted(files.values(), key=lambda f: f.path)
