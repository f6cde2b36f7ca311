"""A message's delivery status, in GOV.UK Notify's own words, and which changes of it are allowed."""

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"  # owed, not yet accepted by Notify
    CREATED = "created"  # accepted by Notify
    SENDING = "sending"  # Notify handed it to its provider
    DELIVERED = "delivered"
    PERMANENT_FAILURE = "permanent-failure"  # the address does not exist, or Notify refused the request
    TEMPORARY_FAILURE = "temporary-failure"  # Notify's provider gave up (inbox full, say): final for Notify too
    TECHNICAL_FAILURE = "technical-failure"  # Notify failed, or our retries ran out


class FailureReason(StrEnum):
    REJECTED = "rejected"  # Notify answered 400 or 403: retrying the same request cannot help
    RETRIES_EXHAUSTED = "retries_exhausted"  # 5xx, 429 or timeouts until the attempts ran out
    PROVIDER = "provider"  # a delivery callback said it failed


FINAL = frozenset({Status.DELIVERED, Status.PERMANENT_FAILURE, Status.TEMPORARY_FAILURE, Status.TECHNICAL_FAILURE})
FAILED = FINAL - {Status.DELIVERED}
# Order of progress, so that a late "sending" callback never overwrites "delivered".
_RANK = {Status.PENDING: 0, Status.CREATED: 1, Status.SENDING: 2}


def parse_status(value: str) -> Status | None:
    """Notify's statuses for emails and letters we act on; others (letters' "received", "accepted") map to
    sending, unknown words to None."""
    try:
        return Status(value)
    except ValueError:
        return Status.SENDING if value in {"accepted", "received", "pending-virus-check"} else None


def may_move(current: Status, new: Status) -> bool:
    """A final status never changes; otherwise a status only moves forward."""
    if current in FINAL or new == current:
        return False
    return new in FINAL or _RANK[new] > _RANK[current]
