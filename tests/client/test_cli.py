"""The `hearth` command: argument errors, exit codes, login, sync, submit/cancel/follow, and end to end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from render_client.api import FarmClient
from render_client.cli import main
from render_client.cli_follow import TaskView
from render_client.events import FarmEvent
from tests.client.cli_helpers import auth, make_blend, run, scene_folder
from tests.client.scene_factory import make_scene
from tests.farm_harness import RunningFarm, farm_in_thread, start_farm_process, stop_process

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
    return make_blend(tmp_path_factory.mktemp("blend") / "scene.blend")


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
