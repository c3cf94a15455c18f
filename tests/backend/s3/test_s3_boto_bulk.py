"""Bulk flows through boto3 defaults: a 50 MB multipart upload and 500 small files listed and deleted."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024
DEFAULT_PART = TransferConfig().multipart_chunksize


def multipart_etag(data: bytes, part_size: int) -> str:
    digests = [hashlib.md5(data[i : i + part_size]).digest() for i in range(0, len(data), part_size)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def test_50_mb_multipart_upload_download_and_ranges(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(50 * MIB + 12345)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    s3.upload_file(str(source), bucket, "renders/big.bin")
    head = s3.head_object(Bucket=bucket, Key="renders/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == multipart_etag(data, DEFAULT_PART)
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "renders/big.bin", str(target))
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    middle = s3.get_object(Bucket=bucket, Key="renders/big.bin", Range=f"bytes={20 * MIB}-{30 * MIB - 1}")
    assert middle["Body"].read() == data[20 * MIB : 30 * MIB]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_500_small_files_list_paginate_copy_delete(s3: Any, bucket: str) -> None:
    files = {f"frames/{i // 100:02d}/f{i:04d}.png": os.urandom(100 + i) for i in range(500)}
    with ThreadPoolExecutor(10) as pool:
        etags = dict(
            zip(
                files,
                pool.map(
                    lambda kv: s3.put_object(Bucket=bucket, Key=kv[0], Body=kv[1])["ETag"], files.items()
                ),
                strict=True,
            )
        )
    assert all(etags[k] == f'"{hashlib.md5(v).hexdigest()}"' for k, v in files.items())

    v1 = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 70}
        )
        for o in page["Contents"]
    ]
    assert v1 == sorted(files)
    v2_pages = list(
        s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 120})
    )
    assert len(v2_pages) == 5
    assert [o["Key"] for p in v2_pages for o in p["Contents"]] == sorted(files)
    listed = {o["Key"]: o for p in v2_pages for o in p["Contents"]}
    assert all(listed[k]["Size"] == len(v) and listed[k]["ETag"] == etags[k] for k, v in files.items())

    top = s3.list_objects_v2(Bucket=bucket, Prefix="frames/", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == [f"frames/{i:02d}/" for i in range(5)]
    assert "Contents" not in top
    paged = list(
        s3.get_paginator("list_objects").paginate(
            Bucket=bucket, Prefix="frames/", Delimiter="/", PaginationConfig={"PageSize": 2}
        )
    )
    assert [p["Prefix"] for page in paged for p in page.get("CommonPrefixes", [])] == [
        f"frames/{i:02d}/" for i in range(5)
    ]
    sub = s3.list_objects(Bucket=bucket, Prefix="frames/03/", MaxKeys=10, Marker="frames/03/f0305.png")
    assert [o["Key"] for o in sub["Contents"]] == [f"frames/03/f{i:04d}.png" for i in range(306, 316)]
    assert sub["IsTruncated"] is True
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="frames/04/f0497.png")
    assert [o["Key"] for o in after["Contents"]] == ["frames/04/f0498.png", "frames/04/f0499.png"]

    key = "frames/02/f0250.png"
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=5-9")["Body"].read() == files[key][5:10]
    s3.copy_object(Bucket=bucket, Key="copy.png", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key="copy.png")["Body"].read() == files[key]

    keys = [*sorted(files), "copy.png"]
    for start in range(0, len(keys), 200):
        result = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 200]]}
        )
        assert len(result["Deleted"]) == len(keys[start : start + 200])
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
