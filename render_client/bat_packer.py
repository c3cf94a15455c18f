"""Blender Asset Tracer adapter: trace one .blend into package keys, missing files and a rewritten copy."""

from __future__ import annotations

import shutil
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from blender_asset_tracer import blendfile, bpathlib, trace
from blender_asset_tracer.blendfile import exceptions as bat_exceptions
from blender_asset_tracer.pack import Packer, PathAction, progress, transfer
from blender_asset_tracer.trace import file_sequence

from render_client.blend_header import FARM_BLENDER_VERSION, check_blend_file
from render_client.errors import PackingError, UnsupportedBlendFileError
from render_client.packing_report import EXTERNAL_DIR, MissingFile, PackObserver

_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_FNAME = 0x08
_GZIP_FIXED_HEADER_B = 10

# BAT keeps one process-wide cache of open .blend files, so only one trace runs at a time.
_BAT_LOCK = threading.Lock()

_BLOCK_KINDS = {
    b"IM": "Image",
    b"LI": "Library",
    b"SO": "Sound",
    b"MC": "Movie clip",
    b"CF": "Cache file",
    b"VF": "Font",
    b"VO": "Volume",
    b"ME": "Mesh",
    b"OB": "Object",
    b"LA": "Light",
}


@dataclass
class BlendRun:
    """What tracing one root .blend found."""

    copies: dict[str, Path] = field(default_factory=dict)  # package key -> the user's file
    rewritten: Path | None = None  # staged copy of the root with rewritten paths, when they changed
    needs_rewrite: bool = False
    missing: list[MissingFile] = field(default_factory=list)
    libraries: list[Path] = field(default_factory=list)  # linked .blend files, to trace as roots too


def package_key(path: PurePath, root: Path) -> str:
    """The posix path of `path` inside the package: relative to `root`, or under `_external/`."""
    absolute = bpathlib.make_absolute(path)
    try:
        return absolute.relative_to(bpathlib.make_absolute(root)).as_posix()
    except ValueError:
        return f"{EXTERNAL_DIR}/{bpathlib.strip_root(absolute).as_posix()}"


def trace_blend(
    blend: Path,
    root: Path,
    staging_dir: Path | None,
    observer: PackObserver,
    farm_version: tuple[int, int] = FARM_BLENDER_VERSION,
) -> BlendRun:
    """Trace `blend`; with `staging_dir`, write a rewritten copy of it there when its paths must change."""
    target = staging_dir if staging_dir is not None else root.parent / ".hearth-package-preview"
    with _BAT_LOCK:
        try:
            packer = _HearthPacker(
                blend,
                root,
                target,
                rewrite=staging_dir is not None,
                observer=observer,
                farm_version=farm_version,
            )
            try:
                packer.strategise()
                packer.execute()
                return packer.result()
            finally:
                packer.close()
        except bat_exceptions.BlendFileError as exc:
            raise UnsupportedBlendFileError(
                f"{exc.filepath} cannot be read as a .blend file ({exc}). Open and save it in Blender."
            ) from exc
        except OSError as exc:
            raise PackingError(f"Packing {blend.name} failed: {exc}") from exc
        except (
            bat_exceptions.SegmentationFault,
            NotImplementedError,
            KeyError,
            AssertionError,
            struct.error,
        ) as exc:
            raise PackingError(
                f"Blender Asset Tracer could not follow the data in {blend.name} "
                f"({type(exc).__name__}: {exc}). Save the file again in Blender, then retry; "
                "if it still fails, please report it with the file."
            ) from exc
        finally:
            # Files must not stay cached: the user may change them before the next trace.
            blendfile.close_all_cached()


def describe_block(usage: Any) -> str:
    """`Image "wood"` for a BAT BlockUsage."""
    name = bytes(usage.block_name)
    kind = _BLOCK_KINDS.get(name[:2])
    if kind is None:
        return f"{usage.block.dna_type_name} {name.decode('utf8', 'replace')!r}"
    return f'{kind} "{name[2:].decode("utf8", "replace")}"'


class _ObserverCallback(progress.Callback):
    def __init__(self, observer: PackObserver, farm_version: tuple[int, int]) -> None:
        self._observer = observer
        self._farm_version = farm_version

    def trace_blendfile(self, filename: Path) -> None:
        # BAT calls this before parsing any .blend, libraries included: refuse newer ones clearly.
        check_blend_file(Path(filename), self._farm_version)
        self._observer.blendfile_traced(Path(filename))

    def trace_asset(self, filename: Path) -> None:
        self._observer.asset_found(Path(filename))

    def rewrite_blendfile(self, orig_filename: Path) -> None:
        self._observer.blendfile_rewritten(Path(orig_filename))


class _Recorder(transfer.FileTransferer):
    """Records copies instead of doing them; moves rewritten .blend copies into the staging directory."""

    def __init__(self, target: Path, staging_dir: Path | None) -> None:
        super().__init__()
        self._target = target
        self._staging_dir = staging_dir
        self.copies: dict[str, Path] = {}
        self.moved: dict[str, Path] = {}

    def run(self) -> None:
        """Never runs: every queued action is handled on the caller's thread."""

    def start(self) -> None:
        """Nothing to start: no thread, no sleeps."""

    def done_and_join(self) -> None:
        """Nothing to wait for."""

    def queue_copy(self, src: Path, dst: PurePath) -> None:
        self.copies[self._key(dst)] = Path(src)

    def queue_move(self, src: Path, dst: PurePath) -> None:
        if self._staging_dir is None:
            raise PackingError("Internal error: a rewritten .blend appeared while only tracing.")
        key = self._key(dst)
        staged = self._staging_dir / key
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(src, staged)
        _normalize_gzip_header(staged)
        self.moved[key] = staged

    def _key(self, dst: PurePath) -> str:
        return PurePath(dst).relative_to(self._target).as_posix()


class _HearthPacker(Packer):
    """BAT's Packer with Hearth's layout: keys relative to the scene folder, `_external/` for the rest."""

    def __init__(
        self,
        blend: Path,
        root: Path,
        target: Path,
        *,
        rewrite: bool,
        observer: PackObserver,
        farm_version: tuple[int, int],
    ) -> None:
        super().__init__(Path(blend), Path(root), str(target))
        self._root_abs = bpathlib.make_absolute(Path(blend))
        self._rewrite = rewrite
        self._staging_dir = Path(target) if rewrite else None
        self._observer = observer
        self._missing: dict[tuple[Path, str, str], MissingFile] = {}
        self._libraries: list[Path] = []
        self._recorder: _Recorder | None = None
        self.progress_cb = _ObserverCallback(observer, farm_version)

    def result(self) -> BlendRun:
        assert self._recorder is not None
        rewritten = self._recorder.moved.get(package_key(self._root_abs, self.project))
        copies = dict(self._recorder.copies)
        return BlendRun(
            copies=copies,
            rewritten=rewritten,
            needs_rewrite=self._root_paths_change(),
            missing=list(self._missing.values()),
            libraries=list(self._libraries),
        )

    def _root_paths_change(self) -> bool:
        """True when at least one path stored in the root .blend differs in the package."""
        root_pp = self._key_path(self._root_abs)
        for usage in self._actions[self._root_abs].rewrites:
            new_path = self._actions[usage.abspath].new_path
            if new_path is not None and bpathlib.BlendPath.mkrelative(new_path, root_pp) != usage.asset_path:
                return True
        return False

    def _key_path(self, path: PurePath) -> Path:
        return Path(self._target_path) / package_key(path, self.project)

    def strategise(self) -> None:
        # Unlike BAT's, this works for a root outside the scene folder (an external library).
        self._output_path = self._key_path(self._root_abs)
        act = self._actions[self._root_abs]
        act.path_action = PathAction.KEEP_PATH
        act.new_path = self._output_path
        for usage in trace.deps(self.blendfile, self._progress_cb):
            if usage.is_sequence:
                self._visit_sequence(usage.abspath, usage)
            else:
                self._visit_asset(usage.abspath, usage)
        self._group_rewrites()

    def _visit_sequence(self, asset_path: Path, usage: Any) -> None:
        if _first_existing(asset_path) is None:
            self._report_missing(asset_path, usage)
            return
        self._visit_asset(asset_path, usage)

    def _visit_asset(self, asset_path: Path, usage: Any) -> None:
        if not usage.is_sequence and not asset_path.exists():
            self._report_missing(asset_path, usage)
            return
        self._progress_cb.trace_asset(asset_path)
        if usage.block.code == b"LI":
            self._libraries.append(Path(asset_path))
        act = self._actions[asset_path]
        act.usages.append(usage)
        act.new_path = self._key_path(asset_path)
        blend_pp = self._key_path(Path(usage.block.bfile.filepath))
        if bpathlib.BlendPath.mkrelative(act.new_path, blend_pp) != usage.asset_path:
            act.path_action = PathAction.FIND_NEW_LOCATION
            self._new_location_paths.add(asset_path)

    def _find_new_paths(self) -> None:
        """New paths are set while visiting: every file has one place in the package."""

    def _group_rewrites(self) -> None:
        super()._group_rewrites()
        # Each .blend is rewritten only when it is itself the root: only then are all its blocks traced.
        for path, act in self._actions.items():
            if path != self._root_abs:
                act.rewrites.clear()
            if act.new_path is None:
                act.new_path = self._key_path(path)

    def _rewrite_paths(self) -> None:
        if self._rewrite:
            super()._rewrite_paths()

    def _create_file_transferer(self) -> transfer.FileTransferer:
        self._recorder = _Recorder(Path(self._target_path), self._staging_dir)
        return self._recorder

    def _write_info_file(self) -> None:
        """No BAT pack-info.txt in a Hearth package."""

    def _report_missing(self, asset_path: Path, usage: Any) -> None:
        missing = MissingFile(
            path=Path(asset_path),
            stored_path=str(usage.asset_path),
            needed_by=describe_block(usage),
            blend=Path(usage.block.bfile.filepath),
        )
        key = (missing.path, missing.needed_by, str(missing.blend))
        if key not in self._missing:
            self._missing[key] = missing
            self._observer.file_missing(missing)


def _normalize_gzip_header(path: Path) -> None:
    """Drop the time stamp and temporary file name BAT's gzip recompression writes into the header,
    so an unchanged scene packs to the same bytes (and an unchanged resync uploads nothing).

    Header: ID1 ID2 CM FLG MTIME(4) XFL OS [FNAME NUL]; only Python's own layout (at most FNAME) is touched.
    """
    with path.open("rb") as src:
        head = src.read(_GZIP_FIXED_HEADER_B)
        if len(head) < _GZIP_FIXED_HEADER_B or head[:2] != _GZIP_MAGIC or head[3] & ~_GZIP_FNAME:
            return
        if head[3] & _GZIP_FNAME:
            while src.read(1) not in (b"\0", b""):
                pass
        tmp = path.with_name(path.name + ".hearth-tmp")
        with tmp.open("wb") as dst:
            dst.write(head[:3] + b"\0" + b"\0\0\0\0" + head[8:10])
            shutil.copyfileobj(src, dst)
    tmp.replace(path)


def _first_existing(asset_path: Path) -> Path | None:
    try:
        files: Iterator[Path] = file_sequence.expand_sequence(asset_path)
        return next((p for p in files if p.exists()), None)
    except file_sequence.DoesNotExist:
        return None
