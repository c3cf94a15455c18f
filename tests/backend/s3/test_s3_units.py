"""Unit tests of the protocol pieces: checksums, the aws-chunked decoder, SigV4 canonical forms, ranges."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from backend.s3 import checksums
from backend.s3.chunked import AwsChunkedDecoder
from backend.s3.conditions import byte_range
from backend.s3.errors import S3Error
from backend.s3.names import check_bucket, check_key
from backend.s3.sigv4 import canonical_query, parse_credential


def test_checksum_known_vectors() -> None:
    vectors = {"crc32": 0xCBF43926, "crc32c": 0xE3069283, "crc64nvme": 0xAE8B14860A799888}
    for name, value in vectors.items():
        checksum = checksums.ALGORITHMS[name]()
        checksum.update(b"1234")
        checksum.update(b"56789")
        assert int.from_bytes(checksum.digest(), "big") == value, name


def test_decoder_reads_botocore_unsigned_trailer_stream_fed_byte_by_byte() -> None:
    import io

    data = bytes(range(256)) * 50
    wrapper = AwsChunkedWrapper(io.BytesIO(data), Crc32Checksum, "x-amz-checksum-crc32", chunk_size=1000)
    encoded = wrapper.read()
    decoder = AwsChunkedDecoder(None, expects_trailer=True)
    out = b"".join(piece for i in range(len(encoded)) for piece in decoder.feed(encoded[i : i + 1]))
    decoder.finish()
    assert out == data
    expected = checksums.Crc32()
    expected.update(data)
    assert decoder.trailers["x-amz-checksum-crc32"] == base64.b64encode(expected.digest()).decode()


def test_decoder_rejects_truncated_and_oversized_chunks() -> None:
    decoder = AwsChunkedDecoder(None, expects_trailer=False)
    decoder.feed(b"5\r\nabc")
    with pytest.raises(S3Error):
        decoder.finish()
    with pytest.raises(S3Error):
        AwsChunkedDecoder(None, expects_trailer=False).feed(b"2\r\nabcdef\r\n")
    with pytest.raises(S3Error):
        AwsChunkedDecoder(None, expects_trailer=False).feed(b"zz\r\n")


def test_canonical_query_reencodes_and_sorts() -> None:
    assert canonical_query("prefix=a%20b&delete&max-keys=2&X-Amz-Signature=ff", drop_signature=True) == (
        "delete=&max-keys=2&prefix=a%20b"
    )
    assert canonical_query("a=x+y", drop_signature=False) == "a=x%2By"


def test_credential_with_at_sign_and_region() -> None:
    credential = parse_credential("me@example.org/20261122/eu-west-3/s3/aws4_request")
    assert (credential.access_key, credential.region) == ("me@example.org", "eu-west-3")


def test_byte_ranges() -> None:
    assert byte_range("bytes=0-0", 10) == (0, 0)
    assert byte_range("bytes=-3", 10) == (7, 9)
    assert byte_range("bytes=5-", 10) == (5, 9)
    assert byte_range("bytes=5-100", 10) == (5, 9)
    assert byte_range("bytes=0-1,3-4", 10) is None
    assert byte_range("items=0-1", 10) is None
    with pytest.raises(S3Error):
        byte_range("bytes=10-", 10)


@pytest.mark.parametrize("name", ["ab", "-abc", "abc-", "a..b", "192.168.1.1", "Upper", "a_b", "a" * 64])
def test_bad_bucket_names(name: str) -> None:
    with pytest.raises(S3Error):
        check_bucket(name)


@pytest.mark.parametrize("key", ["", "..", "a/../b", "a\x00b", "k" * 1025])
def test_bad_keys(key: str) -> None:
    with pytest.raises(S3Error):
        check_key(key)


def test_good_names() -> None:
    assert check_bucket("my.render-bucket42") == "my.render-bucket42"
    assert check_key("dir/x y+z.txt") == "dir/x y+z.txt"
    assert check_key("a/.../b") == "a/.../b"
    assert hashlib.md5(b"").hexdigest()
