"""Profiles: the render recipes tasks name, loaded from resources/profiles/*.json."""

from backend.profiles.catalog import ConstantRule, Profile, ProfileCatalog, load_catalog
from backend.profiles.validation import ConstantError, ResolvedConstants, resolve_constants

__all__ = [
    "ConstantError",
    "ConstantRule",
    "Profile",
    "ProfileCatalog",
    "ResolvedConstants",
    "load_catalog",
    "resolve_constants",
]
