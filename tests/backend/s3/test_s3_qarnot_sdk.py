"""The public qarnot SDK's bucket calls (section 4.1 of docs/qarnot-api.md) against the farm's S3 endpoint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.farm_harness import RunningFarm

qarnot = pytest.importorskip("qarnot")


def test_qarnot_bucket_round_trip(farm: RunningFarm, tmp_path: Path) -> None:
    connection = qarnot.connection.Connection(client_token=farm.token, cluster_url=farm.url)
    bucket = connection.create_bucket("sdk-bucket")
    assert connection.retrieve_or_create_bucket("sdk-bucket").uuid == "sdk-bucket"
    bucket.add_string("hello", "dir/x y+z.txt")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))
    bucket.add_file(str(big), "scene/big.bin")
    bucket.copy_file("dir/x y+z.txt", "dir/copy.txt")
    assert sorted(f.key for f in bucket.list_files()) == ["dir/copy.txt", "dir/x y+z.txt", "scene/big.bin"]
    assert sorted(f.key for f in bucket.directory("dir/")) == ["dir/copy.txt", "dir/x y+z.txt"]
    bucket.get_file("scene/big.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    bucket.get_all_files(str(tmp_path / "all"))
    assert (tmp_path / "all" / "dir" / "x y+z.txt").read_text() == "hello"
    bucket.delete_file("dir/copy.txt")
    assert "sdk-bucket" in [b.uuid for b in connection.buckets()]
    bucket.delete()
    assert "sdk-bucket" not in [b.uuid for b in connection.buckets()]
    with pytest.raises(ClientError) as info:
        connection.retrieve_bucket("sdk-bucket")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
