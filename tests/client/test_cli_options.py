"""The `hearth` command's options and error messages: --ca-bundle, --main, flags after the subcommand,
download summaries, and errors that end in one clear line instead of a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.events.bus import EventKind
from render_client import cli
from render_client.api import FarmClient, TlsOptions
from render_client.submit import FORMATS
from render_client.transfer import StorageAccess, s3_client
from tests.client.cli_helpers import FollowerThread, auth, make_blend, run, scene_folder
from tests.client.scene_factory import make_scene
from tests.farm_harness import RunningFarm, farm_in_thread
from tests.tls_certs import make_cert


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HEARTH_SERVER", "HEARTH_TOKEN", "HEARTH_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFarm]:
    with farm_in_thread(tmp_path_factory.mktemp("farm")) as running:
        yield running


@pytest.fixture(scope="module")
def blend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_blend(tmp_path_factory.mktemp("blend") / "scene.blend")


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

        monkeypatch.setenv("HEARTH_CA_BUNDLE", str(cert))
        follower = FollowerThread(monkeypatch, [*auth(tls_farm), "--json", "follow", uuid])
        try:
            assert follower.wait_connected(), "the event stream did not connect over TLS"
            FarmClient(tls_farm.url, tls_farm.token, tls=TlsOptions(verify=str(cert))).abort(uuid)
        finally:
            code = follower.join()
        out, err = capsys.readouterr()
        assert code == 1, err  # cancelled
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
    dest = tmp_path / "frames"
    follower = FollowerThread(monkeypatch, [*auth(farm), "download", task["uuid"], str(dest), "--wait"])
    try:
        assert follower.wait_connected(), "the event stream did not connect"
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
        assert follower.wait_until(lambda: len(list(dest.glob("*.png"))) == 2)
        FarmClient(farm.url, farm.token).abort(task["uuid"])
    finally:
        code = follower.join()
    out, err = capsys.readouterr()
    assert code == 1, err  # cancelled
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
