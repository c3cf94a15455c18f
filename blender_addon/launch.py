"""Starts background jobs on daemon threads; render_client is imported there, not on the main thread."""

from __future__ import annotations

import importlib.util
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from . import messages as msg
from .job_request import FarmLogin, JobRequest
from .scene_model import FrameNaming

Post = Callable[[msg.Message], None]
# Import names of the wheels the add-on cannot work without.
REQUIRED_MODULES = ("render_client", "requests", "boto3", "botocore", "blender_asset_tracer", "keyring")


def missing_modules() -> list[str]:
    """Bundled modules that cannot be found; a cheap check (nothing is imported)."""
    return [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]


class BackgroundJob:
    """A daemon thread running `work(post, cancel)`; it never touches bpy and reports only through `post`."""

    def __init__(self, work: Callable[[Post, threading.Event], None], post: Post, name: str) -> None:
        self.post = post
        self.cancel = threading.Event()
        self._work = work
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        name = threading.current_thread().name
        try:
            self._work(self.post, self.cancel)
        except ImportError as exc:
            text = f"Hearth's bundled libraries are missing ({exc}); reinstall the Hearth extension"
            self.post(msg.Finished(ok=False, text=text, thread_name=name))
        except Exception as exc:  # shown to the artist rather than lost on a thread
            self.post(msg.Finished(ok=False, text=f"unexpected error: {exc!r}", thread_name=name))


def submit_job(request: JobRequest, post: Post) -> BackgroundJob:
    def work(post: Post, cancel: threading.Event) -> None:
        try:
            from . import submit

            submit.Job(request, post, cancel).run()
        finally:
            shutil.rmtree(request.blend_copy.parent, ignore_errors=True)

    return BackgroundJob(work, post, "hearth-submit")


def download_job(
    login: FarmLogin, task_uuid: str, dest: Path, post: Post, naming: FrameNaming | None = None
) -> BackgroundJob:
    def work(post: Post, cancel: threading.Event) -> None:
        from . import submit

        submit.download_results(login, task_uuid, dest, post, cancel, naming=naming)

    return BackgroundJob(work, post, "hearth-download")


def login_check_job(login: FarmLogin, post: Post) -> BackgroundJob:
    def work(post: Post, _cancel: threading.Event) -> None:
        try:
            from . import submit

            submit.check_login(login, post)
        except Exception as exc:  # posted as a login status: a Finished here would end the submit job's state
            post(msg.LoginStatus(login.server, False, f"cannot check the login: {exc!r}"))

    return BackgroundJob(work, post, "hearth-login")
