"""A hermetic in-memory keyring backend for tests, installed only explicitly with keyring.set_keyring()."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend
from keyring.compat import properties


class MemoryKeyring(KeyringBackend):
    """Tokens live in this dict only."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 (a class property)
        # Defining a backend registers it with keyring's discovery; refusing here keeps it out of every
        # other test in the session, which would otherwise get this keyring instead of the real one.
        raise RuntimeError("only installed explicitly with keyring.set_keyring()")

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
