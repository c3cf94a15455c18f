"""The `hearth` command: argument errors, exit codes, login, sync, submit/cancel/follow, and end to end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.events.bus import EventKind
from render_client import cli, cli_follow
from render_client.api import FarmClient, TlsOptions
from render_client.cli import main
from render_client.cli_follow import TaskView
from render_client.events import EventStream, FarmEvent
from render_client.submit import FORMATS
from render_client.transfer import StorageAccess, s3_client
from tests.client.scene_factory import make_scene
from tests.farm_harness import RunningFarm, farm_in_thread, start_farm_process, stop_process
from tests.tls_certs import make_cert

END_TO_END_TIMEOUT_S = 240


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HEARTH_SERVER", "HEARTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # No desktop keyring in tests: exercise the explicit 0600 file fallback.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path_factory.mktemp("farm")) as running:
        yield running


@pytest.fixture(scope="module")
def blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blend") / "scene.blend"
    script = (
        "import bpy, sys; bpy.ops.wm.read_factory_settings(use_empty=True); "
        "bpy.ops.mesh.primitive_cube_add(); bpy.ops.object.camera_add(location=(0, -6, 2), "
        "rotation=(1.3, 0, 0)); bpy.context.scene.camera = bpy.context.active_object; "
        "bpy.ops.wm.save_as_mainfile(filepath=sys.argv[1])"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, timeout=120)
    return path


def scene_folder(blend: Path, root: Path) -> Path:
    folder = root / "My Scene"
    (folder / "tex").mkdir(parents=True)
    (folder / "scene.blend").write_bytes(blend.read_bytes())
    (folder / "tex" / "wood.png").write_bytes(b"\x89PNG fake texture" * 100)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def auth(farm: RunningFarm) -> list[str]:
    return ["--server", farm.url, "--token", farm.token]


# -- usage and connection errors ---------------------------------------------------------------


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "130"):
        assert f"\n  {code}" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["submit", "scene.blend"],  # --frames is required
        ["submit", "scene.blend", "--frames", "1-10", "--policy", "cheapest"],
        ["sync"],
    ],
)
def test_argument_errors_exit_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "hearth: error:" in err and "Traceback" not in err


def test_a_bad_frame_range_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "--server", "http://x", "--token", "t", "submit", str(tmp_path), "--frames", "9-1"
    )
    assert code == 2
    assert "reversed" in err


def test_not_logged_in_exits_4_and_says_how_to_log_in(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status")
    assert code == 4
    assert "hearth login" in err


def test_unreachable_farm_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = run(capsys, "--server", f"http://127.0.0.1:{port}", "--token", "t", "status")
    assert code == 3
    assert "cannot reach" in err and "Traceback" not in err


def test_a_refused_token_exits_4(capsys: pytest.CaptureFixture[str], farm: RunningFarm) -> None:
    code, _, err = run(capsys, "--server", farm.url, "--token", "hth_wrong", "status")
    assert code == 4
    assert "log in again" in err


# -- login, sync, submit -----------------------------------------------------------------------


def test_login_stores_the_token_then_commands_use_it_and_logout_forgets_it(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(capsys, "--token", farm.token, "login", farm.url)
    assert code == 0, err
    assert "Logged in" in out and "local@hearth.localhost" in out
    assert "Warning" in err and "credentials.json" in err  # the file fallback is announced
    code, out, _ = run(capsys, "--json", "status")
    assert code == 0
    assert isinstance(json.loads(out), list)
    monkeypatch.setenv("HEARTH_TOKEN", "hth_env_wins")  # flag > env > stored login
    assert run(capsys, "status")[0] == 4
    monkeypatch.delenv("HEARTH_TOKEN")
    assert run(capsys, "logout")[0] == 0
    assert run(capsys, "--server", farm.url, "status")[0] == 4


def test_sync_prints_json_on_stdout_and_the_report_on_stderr(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, blend: Path, tmp_path: Path
) -> None:
    folder = scene_folder(blend, tmp_path)
    code, out, err = run(capsys, *auth(farm), "--json", "sync", str(folder))
    assert code == 0, err
    first = json.loads(out)
    assert first["files_uploaded"] == 2 and first["bytes_uploaded"] > 0
    assert "scene.blend" in err and "2 file(s)" in err
    code, out, _ = run(capsys, *auth(farm), "--json", "sync", str(folder))
    assert (code, json.loads(out)["bytes_uploaded"], json.loads(out)["files_unchanged"]) == (0, 0, 2)
    code, out, _ = run(capsys, *auth(farm), "sync", str(folder))
    assert code == 0 and "0 file(s) uploaded" in out


def test_missing_files_block_submit_with_exit_6(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, tmp_path: Path
) -> None:
    scene = make_scene(tmp_path, missing=True)
    code, _, err = run(capsys, *auth(farm), "submit", str(scene.main_blend), "--frames", "1")
    assert code == 6
    assert "missing.png" in err and "--allow-missing" in err
    assert run(capsys, *auth(farm), "--json", "status")[1].strip() == "[]"


def test_allow_missing_submits_despite_a_missing_texture(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, tmp_path: Path
) -> None:
    scene = make_scene(tmp_path, missing=True)
    code, _, err = run(
        capsys, *auth(farm), "submit", str(scene.main_blend), "--frames", "1", "--allow-missing"
    )
    assert code == 0, err
    assert "missing.png" in err  # still reported
    assert len(json.loads(run(capsys, *auth(farm), "--json", "status")[1])) == 1


def test_submit_without_nodes_then_cancel_then_follow_exits_1(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, blend: Path, tmp_path: Path
) -> None:
    folder = scene_folder(blend, tmp_path)
    argv = ["--json", "submit", str(folder), "--frames", "1-3", "--priority", "5", "--policy", "fastest"]
    code, out, err = run(capsys, *auth(farm), *argv, "--engine", "cycles", "--samples", "4")
    assert code == 0, err
    task = json.loads(out)
    assert task["inputBucket"].startswith("hearth-my-scene-")
    body = FarmClient(farm.url, farm.token).task_json(task["uuid"])
    assert (body["hearthPriority"], body["hearthPolicy"], body["instanceCount"]) == (5, "fastest", 3)
    constants = {c["key"]: c["value"] for c in body["constants"]}
    assert constants["BLEND_FILE"] == "scene.blend"
    assert (constants["BLEND_ENGINE"], constants["BLEND_CYCLES_SAMPLES"]) == ("CYCLES", "4")
    code, out, _ = run(capsys, *auth(farm), "--json", "cancel", task["uuid"])
    assert code == 0
    code, out, err = run(capsys, *auth(farm), "follow", task["uuid"])
    assert code == 1
    assert "Cancelled" in err
    code, out, _ = run(capsys, *auth(farm), "status")
    assert task["uuid"] in out


# -- end to end with heater nodes (needs the node agent and bpy rendering) ---------------------


@pytest.mark.slow
def test_submit_renders_on_nodes_and_downloads_the_frames(
    capsys: pytest.CaptureFixture[str], blend: Path, tmp_path: Path
) -> None:
    process, ready = start_farm_process(tmp_path / "farm", nodes=2)
    try:
        token = json.loads(Path(ready["credentials"]).read_text())["token"]
        folder = scene_folder(blend, tmp_path)
        frames_dir = tmp_path / "frames"
        login = ["--server", ready["url"], "--token", token, "--json"]
        code, out, err = run(
            capsys, *login, "submit", str(folder), "--frames", "1-2",
            "--engine", "BLENDER_WORKBENCH", "--resolution-percent", "10", "--download", str(frames_dir),
        )  # fmt: skip
        assert code == 0, err
        assert len([p for p in frames_dir.rglob("*") if p.is_file()]) >= 2
        task = json.loads(out.splitlines()[0])["uuid"]  # JSON lines: submitted, downloads, final state
        code, out, _ = run(capsys, *login, "download", task, str(frames_dir))
        summary = json.loads(out)
        assert (code, summary["downloaded"], summary["kept-local"]) == (0, 0, 0)
        assert summary["unchanged"] >= 2
    finally:
        stop_process(process)


def test_local_farm_starts_the_server_logs_in_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [sys.executable, "-m", "render_client.cli", "--json", "local-farm"]
    cmd += ["--data-dir", str(tmp_path / "farm"), "--port", "0", "--nodes", "0"]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())  # blocks until the farm is ready (or the CLI ends)
        assert info["url"].startswith("http://127.0.0.1:") and info["stored"] == "file"
        status = subprocess.run(
            [sys.executable, "-m", "render_client.cli", "--json", "status"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (status.returncode, status.stdout.strip()) == (0, "[]"), status.stderr
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 130
    finally:
        process.kill()
        process.communicate(timeout=30)


def test_follow_view_counts_frames_from_events() -> None:
    view = TaskView("t1", "shot", "Submitted", total=3, done=0)
    view.apply(FarmEvent(1, "frame-progress", "t1", {"frame": 2, "done": 16, "total": 64}))
    assert "f2 25%" in view.line()
    assert view.apply(FarmEvent(2, "frame-done", "t1", {"frame": 2, "node": "heater-1"})) == (
        "frame 2 done on heater-1"
    )
    assert view.apply(FarmEvent(3, "frame-failed", "t1", {"frame": 3, "message": "out of memory"}))
    view.apply(FarmEvent(4, "task-state", "t1", {"state": "Failure", "framesDone": 1, "framesTotal": 3}))
    assert view.is_final
    assert view.line().startswith("[" + "#" * 10 + "." * 20 + "] 1/3 frames, 1 failed  Failure")


def test_unchanged_resync_of_a_scene_with_an_absolute_path_uploads_0_bytes(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, tmp_path: Path
) -> None:
    # The rewritten .blend copy is gzip: its header must not carry the packing time.
    scene = make_scene(tmp_path)
    code, out, err = run(capsys, *auth(farm), "--json", "sync", str(scene.main_blend))
    assert code == 0, err
    assert "Paths rewritten" in err and json.loads(out)["bytes_uploaded"] > 0
    code, out, err = run(capsys, *auth(farm), "--json", "sync", str(scene.main_blend))
    assert code == 0, err
    second = json.loads(out)
    assert (second["bytes_uploaded"], second["files_uploaded"]) == (0, 0)


def test_an_https_farm_with_a_private_ca_works_with_ca_bundle(
    capsys: pytest.CaptureFixture[str],
    blend: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = make_cert(tmp_path)
    with farm_in_thread(tmp_path / "tls-farm", tls_cert=cert, tls_key=key) as tls_farm:
        assert tls_farm.url.startswith("https://")
        code, _, err = run(capsys, *auth(tls_farm), "status")
        assert code == 3 and "TLS" in err  # the system CAs do not know this farm
        ca = ["--ca-bundle", str(cert)]
        code, out, err = run(
            capsys, *auth(tls_farm), *ca, "--json", "sync", str(scene_folder(blend, tmp_path))
        )
        assert code == 0, err  # the farm API and its S3 endpoint (boto3)
        assert json.loads(out)["files_uploaded"] == 2
        code, out, err = run(
            capsys, *auth(tls_farm), *ca, "--json", "submit", str(tmp_path / "My Scene"), "--frames", "1"
        )
        assert code == 0, err
        uuid = json.loads(out)["uuid"]

        streams: list[EventStream] = []

        class RecordedStream(EventStream):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                streams.append(self)

        monkeypatch.setattr(cli_follow, "EventStream", RecordedStream)
        monkeypatch.setenv("HEARTH_CA_BUNDLE", str(cert))
        result: list[int] = []
        follower = threading.Thread(
            target=lambda: result.append(main([*auth(tls_farm), "--json", "follow", uuid]))
        )
        follower.start()
        try:
            deadline = time.monotonic() + 30
            while not streams and time.monotonic() < deadline:
                follower.join(0.05)
            assert streams and streams[0].connected.wait(30), "the event stream did not connect over TLS"
            FarmClient(tls_farm.url, tls_farm.token, tls=TlsOptions(verify=str(cert))).abort(uuid)
        finally:
            follower.join(60)
        out, err = capsys.readouterr()
        assert result == [1], err  # cancelled
        events = [json.loads(line) for line in out.splitlines() if '"event"' in line]
        assert any(e["event"] == "task-state" for e in events), out


def test_a_server_without_a_scheme_says_to_use_http(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--server", "127.0.0.1:9", "--token", "t", "status")
    assert code == 3, err
    assert "use http://host:port" in err and "Traceback" not in err


def test_an_unexpected_error_is_one_clear_line_with_its_own_exit_code(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.COMMANDS, "status", broken)
    code, _, err = run(capsys, "--server", "http://x", "--token", "t", "status")
    assert code == 70
    assert "unexpected error (RuntimeError: boom)" in err and "report" in err


def test_download_into_a_file_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, blend: Path, tmp_path: Path
) -> None:
    code, out, err = run(
        capsys, *auth(farm), "--json", "submit", str(scene_folder(blend, tmp_path)), "--frames", "1"
    )
    assert code == 0, err
    task = json.loads(out)
    s3 = s3_client(StorageAccess(farm.storage_url, farm.email, farm.token))
    s3.put_object(Bucket=task["resultBucket"], Key="frame_0001.png", Body=b"png")
    somefile = tmp_path / "somefile"
    somefile.write_text("not a folder")
    code, _, err = run(capsys, *auth(farm), "download", task["uuid"], str(somefile))
    assert code == 1, err
    assert "choose a folder you can write to" in err and "Traceback" not in err
    run(capsys, *auth(farm), "cancel", task["uuid"])


def test_main_chooses_the_blend_of_a_folder_with_several(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, blend: Path, tmp_path: Path
) -> None:
    folder = scene_folder(blend, tmp_path)
    (folder / "other.blend").write_bytes(blend.read_bytes())
    code, _, err = run(capsys, *auth(farm), "sync", str(folder))
    assert code == 6 and "--main NAME" in err
    code, out, err = run(capsys, *auth(farm), "--json", "sync", str(folder), "--main", "other.blend")
    assert code == 0, err
    assert "render other.blend" in err
    argv = ["--json", "submit", str(folder), "--frames", "1", "--main", "other.blend"]
    code, out, err = run(capsys, *auth(farm), *argv)
    assert code == 0, err
    task = json.loads(out)
    body = FarmClient(farm.url, farm.token).task_json(task["uuid"])
    assert {c["key"]: c["value"] for c in body["constants"]}["BLEND_FILE"] == "other.blend"
    run(capsys, *auth(farm), "cancel", task["uuid"])


def test_global_flags_work_after_the_subcommand_too(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm
) -> None:
    code, out, err = run(capsys, "login", "--server", farm.url, "--token", farm.token)  # as the README says
    assert code == 0, err
    assert "Logged in" in out
    code, out, err = run(capsys, "status", "--server", farm.url, "--token", farm.token, "--json")
    assert code == 0, err
    assert isinstance(json.loads(out), list)
    code, _, err = run(capsys, "--server", farm.url, "status", "--token", "hth_wrong")
    assert code == 4  # a flag before and one after combine; neither undoes the other
    code, out, _ = run(capsys, "--json", "--token", farm.token, "status", "--server", farm.url)
    assert code == 0 and isinstance(json.loads(out), list)
    assert run(capsys, "logout", "--server", farm.url)[0] == 0


def test_frames_fetched_as_events_arrive_count_as_downloaded_in_the_summary(
    capsys: pytest.CaptureFixture[str],
    farm: RunningFarm,
    blend: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(
        capsys, *auth(farm), "--json", "submit", str(scene_folder(blend, tmp_path)), "--frames", "1-2"
    )
    assert code == 0, err
    task = json.loads(out)
    streams: list[EventStream] = []

    class RecordedStream(EventStream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            streams.append(self)

    monkeypatch.setattr(cli_follow, "EventStream", RecordedStream)
    dest = tmp_path / "frames"
    result: list[int] = []
    argv = [*auth(farm), "download", task["uuid"], str(dest), "--wait"]
    follower = threading.Thread(target=lambda: result.append(main(argv)))
    follower.start()
    try:
        deadline = time.monotonic() + 30
        while not (streams and streams[0].connected.is_set()) and time.monotonic() < deadline:
            follower.join(0.05)
        assert streams and streams[0].connected.is_set(), "the event stream did not connect"
        assert farm.server is not None
        ctx = farm.server.ctx
        account = ctx.accounts.authenticate(farm.token)
        assert account is not None
        s3 = s3_client(StorageAccess(farm.storage_url, farm.email, farm.token))
        for frame in (1, 2):
            key = f"frame_{frame:04d}.png"
            s3.put_object(Bucket=task["resultBucket"], Key=key, Body=b"png %d" % frame)
            ctx.events.publish(
                EventKind.FRAME_DONE,
                {"frame": frame, "outputs": [key]},
                account_id=account.account_id,
                task_uuid=task["uuid"],
            )
        while len(list(dest.glob("*.png"))) < 2 and time.monotonic() < deadline:
            follower.join(0.05)
        assert len(list(dest.glob("*.png"))) == 2
        FarmClient(farm.url, farm.token).abort(task["uuid"])
    finally:
        follower.join(60)
    out, err = capsys.readouterr()
    assert result == [1], err  # cancelled
    assert "2 downloaded, 0 already there" in out


def test_the_keyring_fallback_warning_is_printed_once_at_login(farm: RunningFarm, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    login = subprocess.run(
        [sys.executable, "-m", "render_client.cli", "login", farm.url, "--token", farm.token],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert login.stderr.count("credentials.json") == 1, login.stderr


def test_an_unknown_task_says_how_to_find_the_right_one(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm
) -> None:
    code, _, err = run(capsys, *auth(farm), "follow", "00000000-0000-0000-0000-000000000000")
    assert code == 5
    assert "no task" in err and "`hearth status` lists your tasks" in err


def test_a_file_that_is_not_a_blend_says_what_to_choose(
    capsys: pytest.CaptureFixture[str], farm: RunningFarm, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.blend"
    fake.write_text("not blender data")
    code, _, err = run(capsys, *auth(farm), "sync", str(fake))
    assert code == 6
    assert "is not a .blend file" in err and "Choose the scene's .blend" in err


def test_an_unknown_format_is_refused_before_anything_is_uploaded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # No farm listens at this URL: the format is checked before any connection.
    code, _, err = run(
        capsys, "--server", "http://127.0.0.1:9", "--token", "t",
        "submit", str(tmp_path), "--frames", "1", "--format", "foo",
    )  # fmt: skip
    assert code == 2
    assert "format 'FOO' is unknown" in err and "PNG" in err and "OPEN_EXR" in err


def test_the_client_format_list_is_the_farm_profile_list() -> None:
    profile = json.loads((Path(__file__).parents[2] / "resources/profiles/blender.json").read_text())
    constants = {c["name"]: c for c in profile["constants"]}
    assert list(FORMATS) == constants["BLEND_FORMAT"]["choices"]
