"""Hypothesis strategies for intake's submissions: payloads valid by the committed JSON Schemas, the same payloads
with hostile values put in, and raw bodies that are not JSON at all.

Valid-by-schema payloads come from a small generator for the JSON Schema subset `python -m contracts.schemas`
writes (objects, anyOf, enums, string/number bounds, date and date-time formats, local `$ref`s).
hypothesis-jsonschema 0.23.1, the newest release, cannot run on the pinned hypothesis 6.170.15 (it calls
`many.more()`, which hypothesis removed), so it is not used.
"""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from hypothesis import strategies as st

from contracts.events.intake_v1 import SUBMISSION_TYPES, CtfFileSubmitted

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "contracts" / "schemas"
JSON_TYPES = [model for model in SUBMISSION_TYPES if model is not CtfFileSubmitted]
Json = Any


def latest_schema(event_type: str) -> dict[str, Any]:
    revisions = sorted((SCHEMAS / event_type).glob("*.json"), key=lambda path: int(path.stem))
    schema: dict[str, Any] = json.loads(revisions[-1].read_text())
    return schema


def _dates() -> st.SearchStrategy[str]:
    # Mostly near today (so the rules get past the dates), sometimes anywhere a date can be.
    near = st.integers(-20 * 365, 30).map(lambda days: (datetime.now(UTC).date() + timedelta(days=days)).isoformat())
    return st.one_of(near, st.dates().map(date.isoformat))


def _datetimes() -> st.SearchStrategy[str]:
    offsets = st.sampled_from(["Z", "+00:00", "+01:00", "-12:00", "+14:00", ""])
    near = st.integers(-3 * 24 * 3600, 3600).map(lambda seconds: datetime.now(UTC) + timedelta(seconds=seconds))
    anywhere = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
    return st.tuples(st.one_of(near.map(lambda moment: moment.replace(tzinfo=None)), anywhere), offsets).map(
        lambda pair: pair[0].isoformat() + pair[1]
    )


def from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> st.SearchStrategy[Json]:
    """Values valid by `schema` (the subset of JSON Schema our contracts' schemas use)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(root["$defs"][name], root))
    if "anyOf" in schema:
        return st.one_of(*(from_schema(option, root) for option in schema["anyOf"]))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = {name: from_schema(properties[name], root) for name in schema.get("required", [])}
        optional = {name: from_schema(value, root) for name, value in properties.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        items = from_schema(schema.get("items", {}), root) if schema.get("items") else st.none()
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 4))
    if kind == "string":
        if schema.get("format") == "date":
            return _dates()
        if schema.get("format") == "date-time":
            return _datetimes()
        return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 40))
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        low, high = (
            schema.get("minimum", schema.get("exclusiveMinimum")),
            schema.get("maximum", schema.get("exclusiveMaximum")),
        )
        return st.floats(
            low,
            high,
            exclude_min="exclusiveMinimum" in schema,
            exclude_max="exclusiveMaximum" in schema,
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values()


def json_values(depth: int = 3) -> st.SearchStrategy[Json]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children)),
        max_leaves=8,
    )


def _nested(depth: int) -> Json:
    value: Json = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


_CONTROL = st.sampled_from(["\x00", "\x01", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
HOSTILE_STRINGS = st.one_of(
    st.tuples(st.text(max_size=10), _CONTROL, st.text(max_size=10)).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\ud800",
            "'; DROP TABLE submissions; --",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "%00",
            "\u202e",
            "\ufeff",
            "\uffff",
            "9999-12-31",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59+14:00",
            "2026-02-30",
            "NaN",
            "1e309",
        ]
    ),
    st.integers(1, 200_000).map(lambda size: "x" * size),
)
HOSTILE_VALUES = st.one_of(
    HOSTILE_STRINGS,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=3), min_size=40, max_size=400),
    st.integers(1, 200).map(_nested),
    json_values(),
)


def _paths(value: Json, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Json, path: tuple[str | int, ...], new: Json) -> Json:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)} if head in value else value
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [*value[:head], _replace(value[head], rest, new), *value[head + 1 :]]
    return value


def _delete(value: Json, path: tuple[str | int, ...]) -> Json:
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return (
            {key: item for key, item in value.items() if key != head}
            if not rest
            else {
                **value,
                head: _delete(value[head], rest),
            }
        )
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return (
            [*value[:head], *value[head + 1 :]]
            if not rest
            else [
                *value[:head],
                _delete(value[head], rest),
                *value[head + 1 :],
            ]
        )
    return value


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Json]) -> Json:
    """A valid payload with one to three hostile changes: a value replaced, a field removed or a field added."""
    value = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(value)
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "add" or not paths:
            value = {**value, draw(st.text(max_size=12)): draw(HOSTILE_VALUES)} if isinstance(value, dict) else value
        elif action == "delete":
            value = _delete(value, draw(st.sampled_from(paths)))
        else:
            value = _replace(value, draw(st.sampled_from(paths)), draw(HOSTILE_VALUES))
    return value


def with_fresh_id(payload: Json) -> Json:
    """A new submission id, unless the payload's own is under attack (so earlier examples' outcomes do not
    answer for this one)."""
    if isinstance(payload, dict) and isinstance(payload.get("submission_id"), str):
        current = payload["submission_id"]
        if 1 <= len(current) <= 60 and current.isprintable():
            return {**payload, "submission_id": f"fuzz-{uuid4().hex[:12]}-{current[:40]}"}
    return payload


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.just(b"[" * 50_000 + b"]" * 50_000),
    st.just(b'{"submission_id": "\xff\xfe"}'),
    st.just(b'{"submission_id": "a\\u0000b"}'),
    st.just(b'{"submission_id": "x", "submitted_at": "9999-12-31T23:59:59-12:00"'),
    st.just(b'{"a": NaN, "b": Infinity}'),
    st.just(b'{"submission_id": "\\ud800"}'),
    st.just(b"\xef\xbb\xbf{}"),
    st.text(max_size=200).map(str.encode),
)
