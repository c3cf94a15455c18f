"""Read a .blend file header (plain, gzip or zstd) and refuse files newer than the farm's Blender."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from render_client.errors import UnsupportedBlendFileError

FARM_BLENDER_VERSION: tuple[int, int] = (5, 0)

BLEND_MAGIC = b"BLENDER"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Skippable zstd frames: 0x184D2A50..0x184D2A5F, little endian; the low nibble of the first byte varies.
ZSTD_SKIPPABLE_TAIL = b"\x2a\x4d\x18"
# The longest header: "BLENDER17-01v0500" (Blender 4.1+ large-header format); legacy ones are 12 bytes.
MAX_HEADER_BYTES = 17
LEGACY_HEADER_BYTES = 12


@dataclass(frozen=True)
class BlendHeader:
    """What the first bytes of a .blend say about the file."""

    version: tuple[int, int]
    pointer_size: int
    little_endian: bool
    compression: str  # "none", "gzip" or "zstd"
    file_format_version: int  # 0 for the legacy 12-byte header, 1 for "BLENDER17-01v...."

    @property
    def version_text(self) -> str:
        return format_version(self.version)


def format_version(version: tuple[int, int]) -> str:
    """(5, 0) -> "5.0"."""
    return f"{version[0]}.{version[1]}"


def read_header(path: Path) -> BlendHeader:
    """Read the header of the .blend at `path`, decompressing only the first bytes when needed."""
    try:
        with path.open("rb") as raw:
            start = raw.read(len(BLEND_MAGIC))
            raw.seek(0)
            if start.startswith(BLEND_MAGIC):
                return parse_header(raw.read(MAX_HEADER_BYTES), "none", path)
            if start.startswith(GZIP_MAGIC):
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    return parse_header(_read_exactly(unzipped, MAX_HEADER_BYTES), "gzip", path)
            if start.startswith(ZSTD_MAGIC) or (len(start) >= 4 and start[1:4] == ZSTD_SKIPPABLE_TAIL):
                return parse_header(_read_zstd_start(raw, path), "zstd", path)
    except (OSError, EOFError) as exc:
        raise UnsupportedBlendFileError(
            f"Cannot read {path}: {exc}. Check that the file exists and is readable."
        ) from exc
    raise UnsupportedBlendFileError(
        f"{path} is not a .blend file (unknown first bytes {start[:7]!r}). Choose the scene's .blend "
        "(File > Save in Blender writes one), or a folder holding it."
    )


def parse_header(data: bytes, compression: str, path: Path | None = None) -> BlendHeader:
    """Parse the uncompressed first bytes of a .blend: legacy `BLENDER-v304` or `BLENDER17-01v0500`."""
    where = str(path) if path is not None else "the file"
    if not data.startswith(BLEND_MAGIC) or len(data) < LEGACY_HEADER_BYTES:
        raise UnsupportedBlendFileError(
            f"{where} is not a .blend file (header {data[:12]!r}). Choose the scene's .blend "
            "(File > Save in Blender writes one), or a folder holding it."
        )
    marker = data[7:8]
    try:
        if marker in (b"_", b"-"):
            endian = data[8:9]
            if endian not in (b"v", b"V"):
                raise ValueError(f"endian byte {endian!r}")
            number = int(data[9:12])
            return BlendHeader(_split(number), 4 if marker == b"_" else 8, endian == b"v", compression, 0)
        header_size = int(data[7:9])
        if header_size != MAX_HEADER_BYTES or len(data) < MAX_HEADER_BYTES or data[9:10] != b"-":
            raise ValueError(f"header {data[:MAX_HEADER_BYTES]!r}")
        format_version = int(data[10:12])
        endian = data[12:13]
        if endian not in (b"v", b"V"):
            raise ValueError(f"endian byte {endian!r}")
        number = int(data[13:17])
        return BlendHeader(_split(number), 8, endian == b"v", compression, format_version)
    except ValueError as exc:
        raise UnsupportedBlendFileError(
            f"{where} has a .blend header this client does not understand ({exc}); "
            "it may come from a much newer Blender. Save it with the farm's Blender version."
        ) from exc


def ensure_supported(
    version: tuple[int, int], farm_version: tuple[int, int] = FARM_BLENDER_VERSION, path: Path | None = None
) -> None:
    """Raise UnsupportedBlendFileError when `version` is newer than the farm's Blender."""
    if tuple(version) <= tuple(farm_version):
        return
    name = path.name if path is not None else "This .blend file"
    raise UnsupportedBlendFileError(
        f"{name} was saved by Blender {format_version(version)}, but the farm renders with Blender "
        f"{format_version(farm_version)}, which cannot open it. Open it in Blender "
        f"{format_version(farm_version)} and save it again, or use a farm whose nodes run Blender "
        f"{format_version(version)} or newer."
    )


def check_blend_file(path: Path, farm_version: tuple[int, int] = FARM_BLENDER_VERSION) -> BlendHeader:
    """Read the header of `path` and refuse it when the farm's Blender is too old for it."""
    header = read_header(path)
    ensure_supported(header.version, farm_version, path)
    return header


def _split(number: int) -> tuple[int, int]:
    return number // 100, number % 100


def _read_exactly(stream: BinaryIO | gzip.GzipFile, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = stream.read(size - len(chunks))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def _read_zstd_start(raw: BinaryIO, path: Path) -> bytes:
    try:
        import zstandard
    except ImportError as exc:
        raise UnsupportedBlendFileError(
            f"{path} is compressed with Zstandard; install the `zstandard` Python package to read it."
        ) from exc
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return _read_exactly(reader, MAX_HEADER_BYTES)
    except zstandard.ZstdError as exc:
        raise UnsupportedBlendFileError(
            f"{path} looks zstd-compressed but cannot be decompressed: {exc}"
        ) from exc


__all__ = [
    "FARM_BLENDER_VERSION",
    "BlendHeader",
    "check_blend_file",
    "ensure_supported",
    "format_version",
    "parse_header",
    "read_header",
]
