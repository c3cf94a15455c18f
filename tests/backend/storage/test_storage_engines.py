"""The StorageEngine contract, run against the in-memory fake and the local disk engine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.db.session import Database
from backend.storage.buckets import BucketRegistry, BucketTakenError
from backend.storage.engine import (
    MIB,
    BadDigest,
    BucketNotEmpty,
    EntityTooSmall,
    NoSuchKey,
    NoSuchUpload,
    StorageEngine,
)
from backend.storage.local import LocalEngine
from backend.storage.memory import MemoryEngine
from backend.storage.multipart import multipart_etag


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'hearth.db'}")
    from backend.accounts.tables import Account

    with database.transaction() as session:
        session.add_all([Account(id=1, email="a@example.org"), Account(id=2, email="b@example.org")])
    yield database
    database.dispose()


@pytest.fixture(params=["memory", "local"])
def engine(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> StorageEngine:
    registry = BucketRegistry(db)
    registry.create("bkt", 1)
    store: StorageEngine = (
        MemoryEngine() if request.param == "memory" else LocalEngine(tmp_path / "objects", db)
    )
    store.create_bucket("bkt")
    return store


def put(engine: StorageEngine, key: str, data: bytes, **kwargs: Any) -> Any:
    return engine.put_object(
        "bkt",
        key,
        [data[: len(data) // 2], data[len(data) // 2 :]],
        content_type="t/x",
        metadata={},
        **kwargs,
    )


def test_registry_ownership(db: Database) -> None:
    registry = BucketRegistry(db)
    assert registry.create("mine", 1) is True
    assert registry.create("mine", 1) is False
    with pytest.raises(BucketTakenError):
        registry.create("mine", 2)
    assert registry.owner_of("mine") == 1 and registry.owner_of("nothing") is None
    assert [r.name for r in registry.list_for(1)] == ["mine"] and registry.list_for(2) == []
    registry.delete("mine")
    assert registry.owner_of("mine") is None


def test_put_head_read_and_ranges(engine: StorageEngine) -> None:
    info = put(engine, "a/b", b"0123456789")
    assert info.etag == hashlib.md5(b"0123456789").hexdigest()
    assert engine.head_object("bkt", "a/b").size == 10
    assert b"".join(engine.read_object("bkt", "a/b", 2, 5)) == b"2345"
    reader = engine.get_object("bkt", "a/b")
    assert b"".join(reader.read(0, 9)) == b"0123456789"
    reader.close()
    info_, handle = engine.open_object("bkt", "a/b")
    assert handle.read() == b"0123456789" and info_.etag == info.etag
    handle.close()
    with pytest.raises(NoSuchKey):
        engine.head_object("bkt", "missing")


def test_failed_payload_leaves_nothing(engine: StorageEngine) -> None:
    def exploding() -> Iterator[bytes]:
        yield b"partial"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        engine.put_object("bkt", "k", exploding(), content_type="t/x", metadata={})
    with pytest.raises(BadDigest):
        put(engine, "k", b"data", content_md5="0" * 32)
    assert engine.list_objects("bkt").objects == []


def test_overwrite_while_reading_keeps_the_old_version(engine: StorageEngine) -> None:
    put(engine, "k", b"old" * 1000)
    reader = engine.get_object("bkt", "k")
    put(engine, "k", b"new")
    assert b"".join(reader.read(0, reader.info.size - 1)) == b"old" * 1000
    reader.close()
    assert b"".join(engine.read_object("bkt", "k")) == b"new"


def test_listing_with_delimiter_and_pagination(engine: StorageEngine) -> None:
    for key in ["a", "b/1", "b/2", "c/x/1", "d", "é"]:
        put(engine, key, key.encode())
    page = engine.list_objects("bkt", delimiter="/")
    assert [o.key for o in page.objects] == ["a", "d", "é"] and page.common_prefixes == ["b/", "c/"]
    first = engine.list_objects("bkt", delimiter="/", limit=2)
    assert first.is_truncated and first.next_marker == "b/"
    rest = engine.list_objects("bkt", delimiter="/", after="b/")
    assert [o.key for o in rest.objects] == ["d", "é"] and rest.common_prefixes == ["c/"]
    assert [o.key for o in engine.list_objects("bkt", prefix="b/").objects] == ["b/1", "b/2"]


def test_multipart_and_copy(engine: StorageEngine) -> None:
    upload = engine.create_multipart_upload("bkt", "big", content_type="v/x", metadata={"m": "1"})
    one, two = b"1" * (5 * MIB), b"2" * 100
    p2 = engine.upload_part("bkt", "big", upload, 2, [two])
    p1 = engine.upload_part("bkt", "big", upload, 1, [one])
    assert [p.part_number for p in engine.list_parts("bkt", "big", upload)] == [1, 2]
    assert [u.upload_id for u in engine.list_multipart_uploads("bkt")] == [upload]
    with pytest.raises(BucketNotEmpty):
        engine.delete_bucket("bkt")
    p3 = engine.upload_part("bkt", "big", upload, 3, [b"3"])
    with pytest.raises(EntityTooSmall):
        engine.complete_multipart_upload("bkt", "big", upload, [(2, p2.etag), (3, p3.etag)])
    info = engine.complete_multipart_upload("bkt", "big", upload, [(1, p1.etag), (2, p2.etag)])
    assert info.etag == multipart_etag([p1.etag, p2.etag]) and info.size == len(one) + len(two)
    assert b"".join(engine.read_object("bkt", "big", len(one) - 2, len(one) + 1)) == b"1122"
    copy = engine.copy_object("bkt", "big", "bkt", "copy", metadata={"n": "2"})
    assert copy.metadata == {"n": "2"} and copy.content_type == "v/x"
    assert b"".join(engine.read_object("bkt", "copy")) == one + two
    with pytest.raises(NoSuchUpload):
        engine.upload_part("bkt", "big", upload, 3, [b"x"])
    for key in ("big", "copy"):
        engine.delete_object("bkt", key)
    engine.delete_bucket("bkt")
