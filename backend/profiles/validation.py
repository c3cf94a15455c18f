"""Checks a task's constants against its profile and resolves defaults, with messages naming the culprit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.profiles.catalog import ConstantRule, Profile

MAX_UNDECLARED_VALUE_LENGTH = 64 * 1024


class ConstantError(ValueError):
    """A constant value the profile does not accept."""


@dataclass(frozen=True)
class ResolvedConstants:
    """The task's constants as submitted (echoed to the SDK) and the effective values with defaults."""

    submitted: list[tuple[str, str]]
    effective: dict[str, str]

    def integer(self, name: str, default: int) -> int:
        value = self.effective.get(name, "")
        return int(value) if value else default


def _check_integer(rule: ConstantRule, value: str) -> None:
    try:
        number = int(value.strip())
    except ValueError:
        raise ConstantError(f"constant {rule.name}={value!r} is not an integer; {_allowed(rule)}") from None
    if (rule.minimum is not None and number < rule.minimum) or (
        rule.maximum is not None and number > rule.maximum
    ):
        raise ConstantError(f"constant {rule.name}={value!r} is out of range; {_allowed(rule)}")


def _check_path(rule: ConstantRule, value: str) -> None:
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ".." in parts or "\x00" in value or ":" in parts[0]:
        raise ConstantError(
            f"constant {rule.name}={value!r} must be a relative path inside the resource buckets "
            "(no leading '/', no '..', no drive letter)"
        )


def _check_datetime(rule: ConstantRule, value: str) -> None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConstantError(f"constant {rule.name}={value!r} is not a date-time; {_allowed(rule)}") from None
    if parsed.tzinfo is None:
        raise ConstantError(
            f"constant {rule.name}={value!r} has no time zone; add 'Z' or an offset like +01:00"
        )


def _allowed(rule: ConstantRule) -> str:
    if rule.kind == "choice":
        return "allowed: " + ", ".join(rule.choices)
    if rule.kind == "integer":
        return f"allowed: an integer from {rule.minimum} to {rule.maximum}"
    if rule.kind == "datetime":
        return "allowed: an ISO 8601 date-time such as 2026-12-24T18:00:00Z"
    return f"allowed: text of at most {rule.max_length} characters"


def first_control_character(value: str) -> tuple[int, str] | None:
    """Where the first control character (NUL, line break, escape, C1...) of a text is, if any."""
    for position, char in enumerate(value):
        if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            return position, char
    return None


def check_value(rule: ConstantRule, value: str) -> None:
    """Raises ConstantError unless `value` suits the rule; empty means 'use the default'."""
    if len(value) > rule.max_length:
        raise ConstantError(f"constant {rule.name} is {len(value)} characters long; {_allowed(rule)}")
    found = first_control_character(value)
    if found is not None:
        # Scene, camera and file names reach Blender and the node's environment: NUL or a line break
        # there is never a real name and would break the render command.
        raise ConstantError(
            f"constant {rule.name}={value[:60]!r} contains the control character {found[1]!r} at position "
            f"{found[0]}; {_allowed(rule)}, without control characters such as NUL or line breaks"
        )
    if value == "":
        return
    if rule.kind == "choice" and value not in rule.choices:
        raise ConstantError(f"constant {rule.name}={value!r} is not supported; {_allowed(rule)}")
    if rule.kind == "integer":
        _check_integer(rule, value)
    elif rule.kind == "path":
        _check_path(rule, value)
    elif rule.kind == "datetime":
        _check_datetime(rule, value)


def _check_key(key: str) -> None:
    if not key or "=" in key or first_control_character(key) is not None:
        raise ConstantError(
            f"constant name {key[:60]!r} must be non-empty, without '=' or control characters "
            "(it becomes an environment variable name on the node)"
        )


def resolve_constants(profile: Profile, submitted: Iterable[tuple[str, str | None]]) -> ResolvedConstants:
    """Validates every submitted constant and fills in the profile's defaults."""
    pairs = [(key, value or "") for key, value in submitted]
    effective = {rule.name: rule.default for rule in profile.constants}
    for key, value in pairs:
        _check_key(key)
        rule = profile.rule(key)
        if rule is None:
            if key.startswith(profile.reserved_prefixes):
                known = ", ".join(c.name for c in profile.constants)
                raise ConstantError(
                    f"profile {profile.name} has no constant {key}; its constants are: {known}"
                )
            if len(value) > MAX_UNDECLARED_VALUE_LENGTH:
                raise ConstantError(f"constant {key} is longer than {MAX_UNDECLARED_VALUE_LENGTH} characters")
            if "\x00" in value:
                # Constants become environment variables on the node, which cannot hold NUL.
                raise ConstantError(f"constant {key} contains a NUL character; environment values cannot")
        else:
            check_value(rule, value)
        effective[key] = value or effective.get(key, "")
    for rule in profile.constants:
        if rule.required and not effective.get(rule.name):
            raise ConstantError(
                f"constant {rule.name} is required by profile {profile.name}: {rule.description or 'set it'}"
            )
    return ResolvedConstants(submitted=pairs, effective=effective)


def parse_deadline(value: str) -> datetime | None:
    """HEARTH_DEADLINE as an aware UTC datetime (already validated by check_value)."""
    if not value:
        return None
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).astimezone(UTC)
