"""Identifiers a client chose may hold personal data (a UPN inside a submission id): logs get a digest instead."""

import hashlib
from uuid import UUID


def _sha12(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def digest(value: str | None) -> str | None:
    """First 12 hex digits of the value's SHA-256: enough to correlate log lines, useless to read a UPN back."""
    return None if value is None else _sha12(value)


def loggable_id(value: str) -> str:
    """A UUID (what the suite itself generates) as it is; anything a client chose as its digest."""
    try:
        return str(UUID(value))
    except ValueError:
        return "sha256:" + _sha12(value)
