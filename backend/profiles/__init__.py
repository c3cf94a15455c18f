"""Profiles: the render recipes tasks name, loaded from backend/profiles/data/*.json (package data).

resources/profiles links to that directory, so the documented location still holds the same files.
"""

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
