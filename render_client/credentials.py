"""Farm tokens in the OS keyring (service "hearth"), with an explicit 0600 file fallback."""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import keyring.errors

from render_client.errors import CredentialsError

# One service name for the app, the add-on and the CLI; the username is the farm URL.
KEYRING_SERVICE = "hearth"
FILE_MODE = 0o600
DIR_MODE = 0o700
_FALLBACK_ERRORS = (keyring.errors.NoKeyringError, keyring.errors.InitError, keyring.errors.KeyringLocked)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreResult:
    """Where a token went, and a warning for the user when it is not the keyring."""

    location: str  # "keyring" or "file"
    warning: str | None = None


def default_fallback_path() -> Path:
    """`$XDG_CONFIG_HOME/hearth/credentials.json` (default `~/.config/hearth/credentials.json`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hearth" / "credentials.json"


def normalize_url(farm_url: str) -> str:
    """The keyring username for a farm: its URL without surrounding spaces or a trailing slash."""
    return farm_url.strip().rstrip("/")


def store_token(farm_url: str, token: str, *, fallback_path: Path | None = None) -> StoreResult:
    """Store the token in the keyring; without a usable keyring, in the 0600 file, with a warning."""
    url = normalize_url(farm_url)
    path = fallback_path or default_fallback_path()
    try:
        keyring.set_password(KEYRING_SERVICE, url, token)
    except _FALLBACK_ERRORS as exc:
        tokens = _read_file(path)
        tokens[url] = token
        _write_file(path, tokens)
        warning = (
            f"No usable system keyring ({type(exc).__name__}: {exc}). The token for {url} was saved in "
            f"{path}, readable only by you but not encrypted. Install or unlock a keyring (GNOME Keyring, "
            "KWallet, macOS Keychain, Windows Credential Manager) and log in again to move it there."
        )
        log.warning(warning)
        return StoreResult("file", warning)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"The system keyring refused to store the token for {url}: {exc}") from exc
    # The keyring holds it now: a stale copy in the fallback file must not outlive it.
    _remove_from_file(path, url)
    return StoreResult("keyring")


def load_token(farm_url: str, *, fallback_path: Path | None = None) -> str | None:
    """The stored token for this farm, from the keyring or else the fallback file; None when absent."""
    url = normalize_url(farm_url)
    try:
        token = keyring.get_password(KEYRING_SERVICE, url)
    except _FALLBACK_ERRORS as exc:
        # Inside Blender keyring has no Linux backend (SecretStorage needs the compiled cryptography), yet
        # the desktop app's entry is in the Secret Service: read it there before the fallback file.
        log.info("Keyring unavailable (%s); asking the Secret Service, then the fallback file", exc)
        token = secret_service_lookup(KEYRING_SERVICE, url)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"The system keyring could not read the token for {url}: {exc}") from exc
    if token is not None:
        return str(token)
    return _read_file(fallback_path or default_fallback_path()).get(url)


def delete_token(farm_url: str, *, fallback_path: Path | None = None) -> None:
    """Forget the token for this farm everywhere it may be stored."""
    url = normalize_url(farm_url)
    try:
        keyring.delete_password(KEYRING_SERVICE, url)
    except keyring.errors.PasswordDeleteError:
        pass  # nothing stored there
    except _FALLBACK_ERRORS as exc:
        log.info("Keyring unavailable (%s); deleting from the fallback file only", exc)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"The system keyring could not delete the token for {url}: {exc}") from exc
    _remove_from_file(fallback_path or default_fallback_path(), url)


def secret_service_lookup(service: str, username: str) -> str | None:
    """The secret keyring's SecretService backend stored for (service, username), read over D-Bus with
    jeepney (pure Python) in a plain session; None when there is no bus, no such item or it is locked."""
    try:
        from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg  # type: ignore[import-untyped]
    except ImportError:
        return None
    bus_name = "org.freedesktop.secrets"
    secrets = DBusAddress("/org/freedesktop/secrets", bus_name, "org.freedesktop.Secret.Service")
    try:
        with open_dbus_connection(bus="SESSION") as conn:

            def call(address: object, method: str, signature: str, *args: object) -> Any:
                reply = conn.send_and_get_reply(new_method_call(address, method, signature, args), timeout=5)
                return unwrap_msg(reply)

            unlocked, _locked = call(
                secrets, "SearchItems", "a{ss}", {"service": service, "username": username}
            )
            if not isinstance(unlocked, list) or not unlocked:
                return None  # absent, or in a locked collection: Blender cannot show an unlock prompt
            _output, session = call(secrets, "OpenSession", "sv", "plain", ("s", ""))
            item = DBusAddress(unlocked[0], bus_name, "org.freedesktop.Secret.Item")
            ((_session, _params, value, _content_type),) = call(item, "GetSecret", "o", session)
            call(DBusAddress(session, bus_name, "org.freedesktop.Secret.Session"), "Close", "")
    except (OSError, KeyError, ValueError, TimeoutError, DBusErrorResponse) as exc:
        log.info("No Secret Service to read the token from (%s)", exc)
        return None
    return bytes(value).decode("utf-8")


def _read_file(path: Path) -> dict[str, str]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s had mode %o; setting it to %o", path, mode, FILE_MODE)
            path.chmod(FILE_MODE)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"Cannot read the credentials file {path}: {exc}. Fix or delete it.") from exc
    tokens = data.get("tokens", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in tokens.items()} if isinstance(tokens, dict) else {}


def _write_file(path: Path, tokens: dict[str, str]) -> None:
    """Atomically replace the file; it is created 0600 and never exists with looser permissions."""
    try:
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-", suffix=".tmp")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump({"version": 1, "tokens": tokens}, stream, indent=2, sort_keys=True)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CredentialsError(f"Cannot write the credentials file {path}: {exc}") from exc


def _remove_from_file(path: Path, url: str) -> None:
    tokens = _read_file(path)
    if url in tokens:
        del tokens[url]
        _write_file(path, tokens)
