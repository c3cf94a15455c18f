"""What the operator hands to a background job: plain data, importable without render_client (fast)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .scene_model import SceneSnapshot


class RequestError(Exception):
    """The request cannot be made; the message says what to do."""


@dataclass(frozen=True)
class FarmLogin:
    server: str
    token: str | None  # None: look it up in the keyring on the job's thread


def resolve_farm(pref_url: str) -> FarmLogin:
    """HEARTH_SERVER / HEARTH_TOKEN win over the preferences, so scripts and CI need no stored login."""
    server = os.environ.get("HEARTH_SERVER") or pref_url
    if not server.strip():
        raise RequestError(
            "No farm chosen: set the farm URL in the Hearth add-on preferences or HEARTH_SERVER"
        )
    return FarmLogin(server.strip().rstrip("/"), os.environ.get("HEARTH_TOKEN") or None)


@dataclass(frozen=True)
class JobChoices:
    """The artist's overrides; None means "as saved in the scene". Checked again by render_client."""

    frames: str
    samples: int | None = None
    resolution_percent: int | None = None
    file_format: str | None = None
    camera: str | None = None
    scene_name: str | None = None
    priority: int | None = None
    policy: str = "heat-first"

    def check(self) -> None:
        """Catches a bad frame range on the main thread, before the scene copy is saved."""
        from render_client.frames import FrameRangeError, parse_frames  # stdlib-only module: cheap

        try:
            parse_frames(self.frames)
        except FrameRangeError as exc:
            raise RequestError(f"{exc}; write frames such as 1-250 or 1-10,20") from None


@dataclass(frozen=True)
class JobRequest:
    login: FarmLogin
    snapshot: SceneSnapshot
    blend_copy: Path  # temporary copy from scene_snapshot.save_copy; its folder is deleted when the job ends
    choices: JobChoices
    download: bool = True
