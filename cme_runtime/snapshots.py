"""Aggregates to and from JSON, generically from their dataclass type hints (casework's cases, review's
meetings and reviews are stored this way).

Keeps the domains free of persistence code: any frozen dataclass, enum, date, datetime, list, tuple or
optional field round-trips. A field named `events` (an aggregate's unpublished events) is never stored. Casework's
tests round-trip a case through every lifecycle step.
"""

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
_SKIPPED_FIELDS = frozenset({"events"})


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in _SKIPPED_FIELDS
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        if value is None:
            return None
        return from_json(options[0], value) if len(options) == 1 else value
    if origin in (list, tuple, frozenset, set):
        (item_kind, *_) = typing.get_args(kind) or (Any,)
        items = [from_json(item_kind, item) for item in value]
        return origin(items) if origin is not list else items
    if origin is dict:
        key_kind, value_kind = typing.get_args(kind)
        return {from_json(key_kind, k): from_json(value_kind, v) for k, v in value.items()}
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            return build(kind, value)
        if issubclass(kind, Enum):
            return kind(value)
        if issubclass(kind, datetime):
            return datetime.fromisoformat(value)
        if issubclass(kind, date):
            return date.fromisoformat(value)
    return value


def build(cls: type[T], data: dict[str, Any]) -> T:
    hints = _hints(typing.cast(Any, cls))
    arguments = {
        f.name: from_json(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data and f.init
    }
    return cls(**arguments)
