"""Why a message failed, and so what a consumer does with it: wait it out, dead-letter it, or retry a few times.

- TRANSIENT: the world is briefly unavailable (PostgreSQL restarting, the broker electing a leader, a network
  timeout, a serialization failure or deadlock). The message is fine; retrying it later will work. It is retried
  with capped exponential backoff for as long as the outage lasts and is never dead-lettered.
- POISON: the message itself can never be processed as it is (not decodable, breaks its contract, or its data is
  rejected by the database: SQLSTATE class 22 data exceptions such as a NUL byte, class 23 integrity violations
  other than unique violations). Retrying cannot help, so it is dead-lettered at once with the reason.
- UNKNOWN: anything else, most likely a bug. Retried a bounded number of times (CME_PROCESSING_ATTEMPTS), then
  dead-lettered so that one bad message cannot stop a county's casework.

Pure: looks only at the exception objects (types, SQLSTATEs, SQLAlchemy's connection_invalidated), never at
their messages, which quote the data involved.
"""

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import asyncpg
from aiokafka import errors as kafka_errors
from pydantic import ValidationError
from sqlalchemy import exc as sqlalchemy_errors

from contracts.envelope import EnvelopeError


class FailureKind(Enum):
    TRANSIENT = "transient"
    POISON = "poison"
    UNKNOWN = "unknown"


class PoisonMessage(Exception):
    """Raise (or subclass) this from a handler for a message that can never be processed as it is."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    error_type: str
    sqlstate: str | None = None

    @property
    def reason(self) -> str:
        """Safe to log and to dead-letter: the kind, the exception type and SQLSTATE, never the message text."""
        state = f" (SQLSTATE {self.sqlstate})" if self.sqlstate else ""
        return f"{self.kind.value}: {self.error_type}{state}"


# SQLSTATEs that mean "try again": connection exceptions (class 08), serialization failure and deadlock, the
# server shutting down or starting (57P01-57P03), and too many connections (53300).
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300", "55P03"})
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08"})
# Data exceptions (class 22: NUL bytes, untranslatable characters, out-of-range values) and integrity
# violations (class 23) are the message's own fault; a unique violation (23505) may be a race and is left
# to the bounded retries.
_POISON_SQLSTATE_CLASSES = frozenset({"22", "23"})
_NOT_POISON_SQLSTATES = frozenset({"23505"})

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # ConnectionRefusedError, ConnectionResetError, BrokenPipeError
    TimeoutError,  # asyncio's too, since Python 3.11
    socket.gaierror,  # a name that does not resolve while DNS or the service is restarting
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError, ConnectionFailureError, ...
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,  # "connection is closed", "another operation is in progress" after a reset
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown
    sqlalchemy_errors.DisconnectionError,
    sqlalchemy_errors.TimeoutError,  # pool checkout timed out
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.NoBrokersAvailable,
    kafka_errors.KafkaUnavailableError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NotEnoughReplicasError,
    kafka_errors.NotEnoughReplicasAfterAppendError,
    kafka_errors.CoordinatorNotAvailableError,
    kafka_errors.NotCoordinatorError,
    kafka_errors.CoordinatorLoadInProgressError,
    kafka_errors.RebalanceInProgressError,
)
_POISON_TYPES: tuple[type[BaseException], ...] = (
    PoisonMessage,
    EnvelopeError,
    ValidationError,
    UnicodeError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wrapped (`.orig`) and its causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            pending.append(orig)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            pending.append(current.__context__)


def sqlstate(error: BaseException) -> str | None:
    """The first SQLSTATE found along the chain (asyncpg sets `sqlstate`, SQLAlchemy's adapter `pgcode`)."""
    for each in _chain(error):
        for attribute in ("sqlstate", "pgcode"):
            value = getattr(each, attribute, None)
            if isinstance(value, str) and len(value) == 5:
                return value
    return None


def classify(error: BaseException) -> Failure:
    name = type(error).__name__
    state = sqlstate(error)
    if state is not None:
        if state in _TRANSIENT_SQLSTATES or state[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return Failure(FailureKind.TRANSIENT, name, state)
        if state[:2] in _POISON_SQLSTATE_CLASSES and state not in _NOT_POISON_SQLSTATES:
            return Failure(FailureKind.POISON, name, state)
    for each in _chain(error):
        if isinstance(each, sqlalchemy_errors.DBAPIError) and each.connection_invalidated:
            return Failure(FailureKind.TRANSIENT, name, state)
        # A bare OSError is what asyncio raises when every address of a host refused; its subclasses such as
        # PermissionError or FileNotFoundError are not outages (casework's NotPermitted is a PermissionError).
        if isinstance(each, _TRANSIENT_TYPES) or type(each) is OSError:
            return Failure(FailureKind.TRANSIENT, name, state)
        if isinstance(each, kafka_errors.KafkaError) and each.retriable:
            return Failure(FailureKind.TRANSIENT, name, state)
        if isinstance(each, _POISON_TYPES):
            return Failure(FailureKind.POISON, name, state)
    return Failure(FailureKind.UNKNOWN, name, state)


def backoff_seconds(attempt: int, *, base: float = 0.2, cap: float = 10.0) -> float:
    """Capped exponential backoff: 0.2 s, 0.4 s, 0.8 s ... up to `cap`, for attempt 1, 2, 3 ..."""
    return float(min(cap, base * 2 ** max(0, min(attempt - 1, 30))))
