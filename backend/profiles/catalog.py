"""Loads profile definitions (name, description, constants with defaults and rules) from JSON files."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CONSTANT_KINDS = frozenset({"text", "path", "choice", "integer", "datetime"})


class ProfileFileError(ValueError):
    """A profile file that cannot be used; raised at startup so a broken file is noticed at once."""


@dataclass(frozen=True)
class ConstantRule:
    """One constant of a profile: its default and what values it accepts."""

    name: str
    default: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 1024
    description: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    constants: tuple[ConstantRule, ...]
    # Constants with these prefixes must be declared: a typo like BLEND_FOMRAT is an error, not a no-op.
    reserved_prefixes: tuple[str, ...] = ()

    def rule(self, name: str) -> ConstantRule | None:
        return next((c for c in self.constants if c.name == name), None)


@dataclass(frozen=True)
class ProfileCatalog:
    profiles: dict[str, Profile] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted(self.profiles)

    def get(self, name: str) -> Profile | None:
        return self.profiles.get(name)


def _rule(data: dict[str, Any], source: Path) -> ConstantRule:
    kind = data.get("kind", "text")
    if kind not in CONSTANT_KINDS:
        raise ProfileFileError(f"{source}: constant {data.get('name')} has unknown kind {kind!r}")
    return ConstantRule(
        name=str(data["name"]),
        default=str(data.get("default", "")),
        kind=kind,
        required=bool(data.get("required", False)),
        choices=tuple(str(c) for c in data.get("choices", ())),
        minimum=data.get("min"),
        maximum=data.get("max"),
        max_length=int(data.get("maxLength", 1024)),
        description=str(data.get("description", "")),
    )


def load_profile(path: Path) -> Profile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Profile(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            constants=tuple(_rule(c, path) for c in data.get("constants", [])),
            reserved_prefixes=tuple(str(p) for p in data.get("reservedPrefixes", [])),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProfileFileError(f"profile file {path} is not usable: {exc}") from exc


def load_catalog(directory: Path) -> ProfileCatalog:
    """Every `*.json` profile of a directory; a missing directory gives an empty catalog."""
    if not directory.is_dir():
        log.warning("profiles directory %s does not exist; no profile is available", directory)
        return ProfileCatalog()
    profiles = [load_profile(path) for path in sorted(directory.glob("*.json"))]
    return ProfileCatalog({p.name: p for p in profiles})
