"""Packing: dependency report, missing and external files, a self-contained package that bpy can open."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import pytest
import zstandard

from render_client.bat_packer import package_key
from render_client.blend_header import read_header
from render_client.errors import MissingFilesError, PackingError, UnsupportedBlendFileError
from render_client.packing import build_package, find_main_blend, pack, trace
from render_client.packing_report import MissingFile, PackObserver, format_report
from tests.client.scene_factory import Scene, inspect_blend, make_scene, write_png


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return make_scene(tmp_path_factory.mktemp("complete"))


@pytest.fixture(scope="module")
def scene_missing(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return make_scene(tmp_path_factory.mktemp("missing"), missing=True)


def expected_keys(scene: Scene) -> set[str]:
    return {
        "main.blend",
        "libs/lib.blend",
        "libs/lib_tex.png",
        "textures/rel_tex.png",
        *(f"textures/seq/{p.name}" for p in scene.sequence),
        "_external/" + scene.abs_texture.as_posix().lstrip("/"),
        *("_external/" + tile.as_posix().lstrip("/") for tile in scene.udim_tiles),
    }


def snapshot(*folders: Path) -> dict[Path, tuple[str, int]]:
    """sha256 and mtime_ns of every file, to prove nothing was modified."""
    return {
        path: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def materialize(files: dict[str, Path], dest: Path) -> Path:
    """What the farm node sees after download: the package keys laid out in a fresh folder."""
    for key, source in files.items():
        target = dest / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return dest


def test_report_lists_every_dependency(scene: Scene) -> None:
    report = trace(scene.main_blend)
    by_key = {f.key: f for f in report.files}
    assert set(by_key) == expected_keys(scene)
    assert by_key["textures/rel_tex.png"].source == scene.rel_texture
    assert by_key["libs/lib.blend"].size_b == scene.lib_blend.stat().st_size
    assert report.total_size_b == sum(f.source.stat().st_size for f in report.files)
    assert report.main_blend == "main.blend"
    assert report.root == scene.folder
    assert report.missing == []
    assert [(e.source, e.key) for e in report.external] == [
        (path, "_external/" + path.as_posix().lstrip("/")) for path in [scene.abs_texture, *scene.udim_tiles]
    ]
    assert report.rewritten == ["main.blend"]
    assert any("outside the scene folder" in w for w in report.warnings)
    report.ensure_complete()
    text = format_report(report)
    assert "_external/" in text and "textures/seq/frame_0002.png" in text


def test_missing_texture_is_reported_and_blocks_the_package(scene_missing: Scene, tmp_path: Path) -> None:
    report = trace(scene_missing.main_blend)
    assert report.missing == [
        MissingFile(
            path=scene_missing.folder / "textures" / "missing.png",
            stored_path="//textures/missing.png",
            needed_by='Image "missing_tex"',
            blend=scene_missing.main_blend,
        )
    ]
    assert "--allow-missing" in report.missing[0].hint
    assert set(f.key for f in report.files) == expected_keys(scene_missing)
    with pytest.raises(MissingFilesError) as info:
        report.ensure_complete()
    assert "//textures/missing.png" in str(info.value) and "missing_tex" in str(info.value)
    with pytest.raises(MissingFilesError):
        build_package(report, tmp_path / "staging")
    assert not (tmp_path / "staging").exists(), "nothing may be written before missing files are accepted"
    package = build_package(report, tmp_path / "staging", allow_missing=True)
    assert package.missing == report.missing
    assert set(package.files) == expected_keys(scene_missing)


def test_package_is_self_contained_and_opens_in_bpy(scene: Scene, tmp_path: Path) -> None:
    before = snapshot(scene.folder, scene.abs_texture.parent)
    threads = set(threading.enumerate())
    _, package = pack(scene.main_blend, tmp_path / "staging")
    assert snapshot(scene.folder, scene.abs_texture.parent) == before, "the user's files must not change"
    assert set(threading.enumerate()) == threads, "packing must not leave threads behind"

    assert set(package.files) == expected_keys(scene)
    assert package.main_blend == "main.blend"
    # Only the rewritten .blend is a new file; everything else is uploaded from where it is.
    staged = {k for k, p in package.files.items() if p.is_relative_to(package.staging_dir)}
    assert staged == {"main.blend"}
    assert package.files["textures/rel_tex.png"] == scene.rel_texture
    assert package.files["libs/lib.blend"] == scene.lib_blend
    assert read_header(package.files["main.blend"]).version == (5, 0)
    assert all(not k.startswith("/") and ".." not in k.split("/") for k in package.files)

    farm = materialize(package.files, tmp_path / "farm")
    seen = inspect_blend(farm / package.main_blend)
    images = seen["images"]
    assert isinstance(images, dict)
    assert set(images) == {"abs_tex", "rel_tex", "seq_tex", "udim_tex", "lib_tex"}
    for name, info in images.items():
        if info["source"] == "TILED":
            assert info["tiles_exist"] == [True, True], f"{name}: {info}"
        else:
            assert info["exists"], f"{name}: {info}"
        assert Path(info["abspath"]).is_relative_to(farm), f"{name} escapes the package: {info}"
        if info["source"] == "FILE":
            assert info["size"] == [4, 4], f"{name} did not load: {info}"
    assert images["abs_tex"]["filepath"].startswith("//_external/")
    assert images["rel_tex"]["filepath"] == "//textures/rel_tex.png"
    assert images["seq_tex"]["filepath"] == "//textures/seq/frame_0001.png"
    assert images["udim_tex"]["filepath"].startswith("//_external/")
    assert images["udim_tex"]["filepath"].endswith("/udim/tex.<UDIM>.png")
    libraries = seen["libraries"]
    assert isinstance(libraries, dict)
    assert [lib["exists"] for lib in libraries.values()] == [True]
    assert seen["linked_objects"] == [{"name": "LibCube", "is_missing": False}]


def test_library_with_an_absolute_texture_is_rewritten_too(tmp_path: Path) -> None:
    # BAT 1.23 does not follow material node trees of linked 5.0 data, so libraries are traced as roots.
    scene = make_scene(tmp_path / "user", lib_texture_outside=True)
    before = snapshot(scene.folder, scene.abs_texture.parent)
    report, package = pack(scene.main_blend, tmp_path / "staging")
    assert snapshot(scene.folder, scene.abs_texture.parent) == before
    lib_tex_key = "_external/" + scene.lib_texture.as_posix().lstrip("/")
    assert lib_tex_key in {f.key for f in report.files}
    assert sorted(report.rewritten) == ["libs/lib.blend", "main.blend"]
    staged = {k for k, p in package.files.items() if p.is_relative_to(package.staging_dir)}
    assert staged == {"main.blend", "libs/lib.blend"}

    farm = materialize(package.files, tmp_path / "farm")
    images = inspect_blend(farm / "main.blend")["images"]
    assert isinstance(images, dict)
    assert images["lib_tex"]["exists"] and images["lib_tex"]["size"] == [4, 4], images["lib_tex"]
    assert Path(images["lib_tex"]["abspath"]) == farm / lib_tex_key


def test_folder_scene_ships_the_folder_and_traces_every_blend(scene: Scene, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(scene.folder, folder)
    write_png(folder / "cache" / "fluid_0001.png", (1, 2, 3))  # something BAT cannot know about
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("x")
    (folder / "main.blend1").write_bytes(b"backup")

    report = trace(folder)
    keys = {f.key for f in report.files}
    assert "cache/fluid_0001.png" in keys
    assert not any(k.startswith(".git") or k.endswith(".blend1") for k in keys)
    assert expected_keys(scene) <= keys
    assert report.main_blend == "main.blend"

    package = build_package(report, tmp_path / "staging")
    farm = materialize(package.files, tmp_path / "farm")
    images = inspect_blend(farm / "main.blend")["images"]
    assert isinstance(images, dict)
    assert all(info["exists"] or all(info["tiles_exist"]) for info in images.values()), images


def test_missing_library_is_reported(scene: Scene, tmp_path: Path) -> None:
    folder = tmp_path / "nolib"
    shutil.copytree(scene.folder, folder)
    (folder / "libs" / "lib.blend").unlink()
    report = trace(folder / "main.blend")
    assert [(m.stored_path, m.needed_by) for m in report.missing] == [
        ("//libs/lib.blend", 'Library "lib.blend"')
    ]


def test_library_newer_than_the_farm_is_refused(scene: Scene, tmp_path: Path) -> None:
    folder = tmp_path / "future"
    shutil.copytree(scene.folder, folder)
    future = zstandard.ZstdCompressor().compress(b"BLENDER17-01v0602" + b"\x00" * 64)
    (folder / "libs" / "lib.blend").write_bytes(future)
    with pytest.raises(UnsupportedBlendFileError, match=r"lib\.blend was saved by Blender 6\.2"):
        trace(folder / "main.blend")


def test_folder_with_several_blends_needs_a_main(scene: Scene, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    shutil.copytree(scene.folder, folder)
    shutil.copyfile(folder / "main.blend", folder / "other.blend")
    with pytest.raises(PackingError, match=r"several \.blend"):
        trace(folder)
    report = trace(folder, main="other.blend")
    assert report.main_blend == "other.blend"
    assert {"main.blend", "other.blend"} <= {f.key for f in report.files}
    assert sorted(report.rewritten) == ["main.blend", "other.blend"]
    assert find_main_blend(folder, "main.blend") == folder / "main.blend"
    with pytest.raises(PackingError, match="not a file"):
        find_main_blend(folder, "nope.blend")


def test_observer_sees_one_call_per_event(scene_missing: Scene, tmp_path: Path) -> None:
    class Recorder(PackObserver):
        def __init__(self) -> None:
            self.events: list[tuple[str, str]] = []

        def blendfile_traced(self, path: Path) -> None:
            self.events.append(("blend", path.name))

        def asset_found(self, path: Path) -> None:
            self.events.append(("asset", path.name))

        def file_missing(self, missing: MissingFile) -> None:
            self.events.append(("missing", missing.path.name))

        def blendfile_rewritten(self, path: Path) -> None:
            self.events.append(("rewritten", path.name))

    observer = Recorder()
    pack(scene_missing.main_blend, tmp_path / "staging", allow_missing=True, observer=observer)
    assert ("blend", "main.blend") in observer.events
    assert ("blend", "lib.blend") in observer.events
    assert ("asset", "rel_tex.png") in observer.events
    assert ("missing", "missing.png") in observer.events
    assert ("rewritten", "main.blend") in observer.events


def test_errors_for_bad_scene_paths(tmp_path: Path) -> None:
    with pytest.raises(PackingError, match="does not exist"):
        trace(tmp_path / "nothing.blend")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(PackingError, match=r"not a \.blend"):
        trace(tmp_path / "notes.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PackingError, match=r"No \.blend"):
        trace(empty)


def test_package_key_layout(tmp_path: Path) -> None:
    root = tmp_path / "scene"
    assert package_key(root / "textures" / "a.png", root) == "textures/a.png"
    assert package_key(Path("/opt/assets/b.png"), root) == "_external/opt/assets/b.png"
    assert package_key(root / ".." / "shared" / "c.png", root) == "_external/" + (
        (tmp_path / "shared" / "c.png").as_posix().lstrip("/")
    )
