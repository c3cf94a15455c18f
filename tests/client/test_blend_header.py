"""Reading .blend headers (plain, gzip, zstd, legacy) and refusing files newer than the farm's Blender."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard

from render_client.blend_header import (
    BlendHeader,
    check_blend_file,
    ensure_supported,
    parse_header,
    read_header,
)
from render_client.errors import HearthError, UnsupportedBlendFileError
from render_client.packing import trace
from tests.client.scene_factory import Scene, make_scene

# Enough bytes after the header that a reader cannot get away with reading past the end.
_BODY = b"REND" + b"\x00" * 64


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return make_scene(tmp_path_factory.mktemp("header"))


def test_blender5_zstd_file_from_bpy(scene: Scene) -> None:
    assert scene.main_blend.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    header = read_header(scene.main_blend)
    assert header == BlendHeader((5, 0), 8, True, "zstd", 1)
    assert header.version_text == "5.0"


def test_blender5_uncompressed_file_from_bpy(scene: Scene) -> None:
    assert scene.lib_blend.read_bytes().startswith(b"BLENDER17-01v0500")
    assert read_header(scene.lib_blend) == BlendHeader((5, 0), 8, True, "none", 1)


def test_gzip_file(scene: Scene, tmp_path: Path) -> None:
    gz = tmp_path / "old.blend"
    gz.write_bytes(gzip.compress(scene.lib_blend.read_bytes()))
    assert read_header(gz) == BlendHeader((5, 0), 8, True, "gzip", 1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"BLENDER-v304", BlendHeader((3, 4), 8, True, "none", 0)),
        (b"BLENDER_V279", BlendHeader((2, 79), 4, False, "none", 0)),
        (b"BLENDER-v402", BlendHeader((4, 2), 8, True, "none", 0)),
        (b"BLENDER17-01v0405", BlendHeader((4, 5), 8, True, "none", 1)),
    ],
)
def test_parse_legacy_and_large_headers(data: bytes, expected: BlendHeader) -> None:
    assert parse_header(data + _BODY, "none") == expected


def test_newer_zstd_file_is_refused_with_both_versions(tmp_path: Path) -> None:
    future = tmp_path / "future.blend"
    future.write_bytes(zstandard.ZstdCompressor().compress(b"BLENDER17-01v0601" + _BODY))
    assert read_header(future).version == (6, 1)
    with pytest.raises(UnsupportedBlendFileError) as info:
        check_blend_file(future, farm_version=(5, 0))
    message = str(info.value)
    assert "6.1" in message and "5.0" in message and "save it again" in message
    assert isinstance(info.value, HearthError) and info.value.message == message


def test_ensure_supported_accepts_same_and_older() -> None:
    ensure_supported((5, 0), (5, 0))
    ensure_supported((3, 4), (5, 0))
    with pytest.raises(UnsupportedBlendFileError, match=r"5\.1"):
        ensure_supported((5, 1), (5, 0))


def test_not_a_blend_file(tmp_path: Path) -> None:
    junk = tmp_path / "notes.blend"
    junk.write_bytes(b"hello, this is text")
    with pytest.raises(UnsupportedBlendFileError, match=r"not a \.blend"):
        read_header(junk)
    with pytest.raises(UnsupportedBlendFileError, match=r"not a \.blend"):
        read_header_of(zstandard.ZstdCompressor().compress(b"plain text, compressed"), tmp_path)


def test_trace_refuses_a_newer_scene_before_reading_it(tmp_path: Path) -> None:
    folder = tmp_path / "scene"
    folder.mkdir()
    (folder / "shot.blend").write_bytes(zstandard.ZstdCompressor().compress(b"BLENDER17-01v0700" + _BODY))
    with pytest.raises(UnsupportedBlendFileError, match=r"7\.0"):
        trace(folder)


def read_header_of(data: bytes, tmp_path: Path) -> BlendHeader:
    path = tmp_path / "data.blend"
    path.write_bytes(data)
    return read_header(path)
