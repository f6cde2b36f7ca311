"""The classifier tells an outage from a bad message: transient failures wait, poison is dead-lettered at once."""

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sqlalchemy_errors

from cme_runtime.failures import FailureKind, PoisonMessage, backoff_seconds, classify, sqlstate
from contracts.envelope import EnvelopeError


class _AdaptedDbapiError(Exception):
    """What SQLAlchemy's asyncpg adapter puts in `.orig`: the SQLSTATE as `pgcode` and `sqlstate`."""

    def __init__(self, state: str) -> None:
        super().__init__("values quoted here")
        self.pgcode = self.sqlstate = state


def _dbapi_error(state: str | None, invalidated: bool = False) -> sqlalchemy_errors.DBAPIError:
    orig = _AdaptedDbapiError(state) if state else Exception("no state")
    return sqlalchemy_errors.DBAPIError("INSERT ...", {}, orig, connection_invalidated=invalidated)


def _validation_error() -> ValidationError:
    class Model(BaseModel):
        number: int

    try:
        Model.model_validate({"number": "not a number"})
    except ValidationError as error:
        return error
    raise AssertionError("expected a validation error")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        _dbapi_error("57P01"),
        _dbapi_error("57P03"),
        _dbapi_error("08006"),
        _dbapi_error("08001"),
        _dbapi_error("40001"),
        _dbapi_error("40P01"),
        _dbapi_error(None, invalidated=True),
        sqlalchemy_errors.OperationalError("SELECT 1", {}, _AdaptedDbapiError("08003")),
        sqlalchemy_errors.TimeoutError("QueuePool limit reached"),
        kafka_errors.KafkaConnectionError(),
        kafka_errors.NotLeaderForPartitionError(),
        kafka_errors.RequestTimedOutError(),
        kafka_errors.KafkaTimeoutError(),
        kafka_errors.LeaderNotAvailableError(),
    ],
    ids=lambda error: type(error).__name__ + (f"-{sqlstate(error)}" if sqlstate(error) else ""),
)
def test_outages_are_transient(error: BaseException) -> None:
    assert classify(error).kind is FailureKind.TRANSIENT


def test_an_outage_wrapped_by_another_exception_is_still_transient() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except ConnectionRefusedError as inner:
            raise RuntimeError("while applying the event") from inner
    except RuntimeError as outer:
        assert classify(outer).kind is FailureKind.TRANSIENT


@pytest.mark.parametrize(
    "error",
    [
        _dbapi_error("22021"),  # invalid byte sequence: a NUL character in the data
        _dbapi_error("22P05"),  # untranslatable character
        _dbapi_error("22001"),  # value too long
        _dbapi_error("23502"),  # not-null violation
        _dbapi_error("23503"),  # foreign-key violation
        _dbapi_error("23514"),  # check violation
        asyncpg.CharacterNotInRepertoireError("invalid byte sequence for encoding UTF8: 0x00"),
        EnvelopeError("invalid data: child.upn: missing"),
        _validation_error(),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        PoisonMessage("cannot be processed as it is"),
    ],
    ids=lambda error: type(error).__name__ + (f"-{sqlstate(error)}" if sqlstate(error) else ""),
)
def test_bad_messages_are_poison(error: BaseException) -> None:
    assert classify(error).kind is FailureKind.POISON


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug, or a rule the data breaks"),
        KeyError("missing"),
        RuntimeError("unexpected"),
        PermissionError("not an outage, though an OSError"),
        FileNotFoundError("not an outage, though an OSError"),
        _dbapi_error("23505"),  # unique violation: possibly a race, so the bounded retries decide
        _dbapi_error("42P01"),  # undefined table: a deployment problem, not the message's fault
        _dbapi_error(None),
    ],
    ids=lambda error: type(error).__name__ + (f"-{sqlstate(error)}" if sqlstate(error) else ""),
)
def test_anything_else_is_unknown_and_gets_bounded_retries(error: BaseException) -> None:
    assert classify(error).kind is FailureKind.UNKNOWN


def test_the_reason_names_the_kind_type_and_sqlstate_but_never_the_message_text() -> None:
    failure = classify(_dbapi_error("22021"))
    assert failure.reason == "poison: DBAPIError (SQLSTATE 22021)"
    assert "values quoted here" not in failure.reason


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    waits = [backoff_seconds(attempt, base=0.2, cap=10.0) for attempt in range(1, 12)]
    assert waits[:4] == [0.2, 0.4, 0.8, 1.6]
    assert waits == sorted(waits)
    assert max(waits) == 10.0
    assert backoff_seconds(10_000, cap=10.0) == 10.0
