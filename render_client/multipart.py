"""Resumable multipart uploads: the UploadId and finished parts survive a crash in a small state file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from render_client.errors import HearthError
from render_client.transfer import error_code, translated

STATE_VERSION = 1


def default_state_dir() -> Path:
    """`$XDG_CACHE_HOME/hearth/uploads` (default `~/.cache/hearth/uploads`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hearth" / "uploads"


class UploadStateStore:
    """One JSON file per unfinished upload, keyed by (bucket, key, etag) so changed content starts over."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_state_dir()

    def path_for(self, bucket: str, key: str, etag: str) -> Path:
        digest = hashlib.sha256(f"{bucket}\0{key}\0{etag}".encode()).hexdigest()[:32]
        return self.root / f"{digest}.json"

    def load(self, bucket: str, key: str, etag: str) -> str | None:
        """The UploadId of an unfinished upload of exactly this content, if one was recorded."""
        path = self.path_for(bucket, key, etag)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        same = (data.get("bucket"), data.get("key"), data.get("etag")) == (bucket, key, etag)
        return str(data["upload_id"]) if same and data.get("upload_id") else None

    def save(self, bucket: str, key: str, etag: str, upload_id: str, parts: dict[int, str]) -> None:
        """Atomically records the upload; a crash mid-write leaves the previous version intact."""
        path = self.path_for(bucket, key, etag)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": STATE_VERSION,
            "bucket": bucket,
            "key": key,
            "etag": etag,
            "upload_id": upload_id,
            "parts": {str(n): e for n, e in sorted(parts.items())},
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(body, stream)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, bucket: str, key: str, etag: str) -> None:
        self.path_for(bucket, key, etag).unlink(missing_ok=True)

    def stale(self, bucket: str, key: str, etag: str) -> list[tuple[str, str]]:
        """(etag, UploadId) of unfinished uploads of this key whose content has changed since."""
        found: list[tuple[str, str]] = []
        for path in self.root.glob("*.json") if self.root.is_dir() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (data.get("bucket"), data.get("key")) == (bucket, key) and data.get("etag") != etag:
                found.append((str(data.get("etag")), str(data.get("upload_id"))))
        return found


@dataclass
class MultipartJob:
    """One large file going up in parts; workers call `upload_part`, the last one completes it."""

    bucket: str
    key: str
    path: Path
    etag: str
    size_b: int
    part_size_b: int
    upload_id: str
    done: dict[int, str] = field(default_factory=dict)  # part number -> part ETag (unquoted)
    resumed_b: int = 0  # bytes found already uploaded when the job started
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size_b // self.part_size_b))

    def part_range(self, number: int) -> tuple[int, int]:
        """(offset, length) of part `number` (1-based)."""
        offset = (number - 1) * self.part_size_b
        return offset, min(self.part_size_b, self.size_b - offset)

    def missing_parts(self) -> list[int]:
        return [n for n in range(1, self.part_count + 1) if n not in self.done]

    def read_part(self, number: int) -> bytes:
        offset, length = self.part_range(number)
        with self.path.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(length)
        if len(data) != length:
            raise HearthError(f"{self.path} changed while it was uploading; sync again")
        return data

    def record(self, number: int, etag: str, store: UploadStateStore) -> bool:
        """Notes a finished part; True when it was the last one missing."""
        with self._lock:
            self.done[number] = etag
            # Saved on every part so a killed process loses at most the parts in flight.
            store.save(self.bucket, self.key, self.etag, self.upload_id, dict(self.done))
            return len(self.done) == self.part_count


def _listed_parts(client: Any, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]] | None:
    """Parts the server holds for the upload, or None when the upload no longer exists."""
    parts: dict[int, tuple[str, int]] = {}
    try:
        paginator = client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=bucket, Key=key, UploadId=upload_id):
            for part in page.get("Parts", []):
                parts[int(part["PartNumber"])] = (str(part["ETag"]).strip('"'), int(part["Size"]))
    except ClientError as exc:
        if error_code(exc) in ("NoSuchUpload", "404", "NotFound"):
            return None
        raise
    return parts


def start(
    client: Any,
    store: UploadStateStore,
    *,
    bucket: str,
    key: str,
    path: Path,
    etag: str,
    size_b: int,
    part_size_b: int,
) -> MultipartJob:
    """Resumes the recorded upload of this content when the server still has it, else starts one."""
    with translated(f"starting the upload of {key}"):
        upload_id = store.load(bucket, key, etag)
        if upload_id is not None:
            listed = _listed_parts(client, bucket, key, upload_id)
            if listed is not None:
                job = MultipartJob(bucket, key, path, etag, size_b, part_size_b, upload_id)
                _keep_verified_parts(job, listed)
                return job
            store.delete(bucket, key, etag)
        for old_etag, old_id in store.stale(bucket, key, etag):
            # The file changed since that upload started: its parts can never be used, free them.
            with contextlib.suppress(ClientError):
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=old_id)
            store.delete(bucket, key, old_etag)
        created = client.create_multipart_upload(Bucket=bucket, Key=key)
        job = MultipartJob(bucket, key, path, etag, size_b, part_size_b, str(created["UploadId"]))
        store.save(bucket, key, etag, job.upload_id, {})
        return job


def _keep_verified_parts(job: MultipartJob, listed: dict[int, tuple[str, int]]) -> None:
    """Keeps the server's parts whose size and MD5 match the local bytes; the others go up again."""
    for number, (part_etag, part_size) in sorted(listed.items()):
        if number > job.part_count:
            continue
        _, length = job.part_range(number)
        if part_size != length:
            continue
        if hashlib.md5(job.read_part(number), usedforsecurity=False).hexdigest() == part_etag:
            job.done[number] = part_etag
            job.resumed_b += length


def upload_part(client: Any, job: MultipartJob, number: int) -> tuple[int, str]:
    """Sends one part; returns its size in bytes and its ETag."""
    data = job.read_part(number)
    with translated(f"uploading part {number} of {job.key}"):
        answer = client.upload_part(
            Bucket=job.bucket, Key=job.key, UploadId=job.upload_id, PartNumber=number, Body=data
        )
    return_etag = str(answer["ETag"]).strip('"')
    expected = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if return_etag != expected:
        raise HearthError(f"the farm stored part {number} of {job.key} with a different checksum; sync again")
    return len(data), expected


def complete(client: Any, job: MultipartJob, store: UploadStateStore) -> None:
    """Makes the object visible (atomically) and forgets the local state."""
    parts = [{"PartNumber": n, "ETag": f'"{e}"'} for n, e in sorted(job.done.items())]
    with translated(f"finishing the upload of {job.key}"):
        answer = client.complete_multipart_upload(
            Bucket=job.bucket, Key=job.key, UploadId=job.upload_id, MultipartUpload={"Parts": parts}
        )
    store.delete(job.bucket, job.key, job.etag)
    final = str(answer.get("ETag", "")).strip('"')
    if final and final != job.etag:
        raise HearthError(
            f"the farm computed ETag {final} for {job.key}, expected {job.etag}; "
            "the next sync will upload it again"
        )
