"""The render_client exception tree: one base, messages that say what to do next."""

from __future__ import annotations


class HearthError(Exception):
    """Base of every error render_client raises; `message` is ready to show to the artist."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CannotReachServer(HearthError):  # noqa: N818 (public name fixed by the API design)
    """The farm did not answer: network down, wrong URL, or the server is not running."""


class NotAuthorized(HearthError):  # noqa: N818
    """The farm refused the credentials: log in again or ask for a new token."""


class ServerRefused(HearthError):  # noqa: N818
    """The farm answered but said no (bad request, quota, conflict); `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class PackingError(HearthError):
    """A scene could not be traced or packed."""


class UnsupportedBlendFileError(PackingError):
    """A .blend file is not a .blend, or was saved by a Blender newer than the farm's."""


class MissingFilesError(PackingError):
    """The scene needs files that do not exist; submit is blocked unless missing files are allowed."""


class CredentialsError(HearthError):
    """A token could not be stored, read or deleted."""
