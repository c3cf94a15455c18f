"""Add-on preferences: the farm URL, and a token field that is emptied as soon as the token is stored."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import StringProperty

# Shown under the token field; module state, so it is never written to userpref.blend.
LOGIN_NOTE = {"text": ""}


def _store_token(prefs: Any, _context: Any) -> None:
    """Moves a typed token into the keyring (or render_client's 0600 file) and clears the field.

    The field is a normal preference, so clearing it keeps the token out of userpref.blend.
    """
    token = prefs.token_entry.strip()
    if not token:
        return
    prefs.token_entry = ""  # re-enters this callback with "" and returns at once
    if not prefs.farm_url:
        LOGIN_NOTE["text"] = "Enter the farm URL first, then the token"
        return
    try:
        from render_client.credentials import store_token
        from render_client.errors import HearthError

        try:
            result = store_token(prefs.farm_url, token)
        except HearthError as exc:
            LOGIN_NOTE["text"] = exc.message
            return
    except ImportError as exc:
        LOGIN_NOTE["text"] = f"Hearth's bundled libraries are missing ({exc}); reinstall the extension"
        return
    LOGIN_NOTE["text"] = result.warning or f"Token stored in the system keyring for {prefs.farm_url}"
    from .runner import RUNNER

    RUNNER.login_asked = ""  # the panel checks the new token on its next draw


class HearthPreferences(bpy.types.AddonPreferences):  # type: ignore[misc]
    bl_idname = __package__ or "hearth"

    farm_url: StringProperty(  # type: ignore[valid-type]
        name="Farm URL",
        description="The Hearth farm, such as http://127.0.0.1:8400",
        default="http://127.0.0.1:8400",
    )
    token_entry: StringProperty(  # type: ignore[valid-type]
        name="Token",
        description="Paste a farm token: it goes to the system keyring and this field empties",
        subtype="PASSWORD",
        update=_store_token,
    )

    def draw(self, _context: Any) -> None:
        layout = self.layout
        layout.prop(self, "farm_url")
        layout.prop(self, "token_entry")
        layout.label(text="The Hearth desktop app's login for this URL is used when there is one.")
        if LOGIN_NOTE["text"]:
            layout.label(text=LOGIN_NOTE["text"], icon="INFO")


def get(context: Any) -> Any:
    """These preferences, or None when the add-on is not registered under its package name."""
    addon = context.preferences.addons.get(HearthPreferences.bl_idname)
    return addon.preferences if addon else None


def register() -> None:
    bpy.utils.register_class(HearthPreferences)


def unregister() -> None:
    bpy.utils.unregister_class(HearthPreferences)
