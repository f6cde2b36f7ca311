"""Committed JSON Schemas of the event contracts, and the compatibility rule between their revisions.

Each event type keeps every published revision of its schema under `contracts/schemas/<type>/<n>.json`.
Within one major version (the `.vN` of the type) every revision must be FULLY compatible with every revision
before it (FULL_TRANSITIVE, not only with the last one): old readers can read new data and new readers can read
old data, however old the reader. That allows adding optional fields and editing descriptions, nothing else.
Anything more is a new event type `...v(N+1)`. The rule covers the suite's events and the cross-LA exchange
messages alike.

Run `python -m contracts.schemas` after changing a model: it appends a revision when the model changed
compatibly and refuses a breaking change.
"""

import json
import sys
from pathlib import Path
from typing import Any

from contracts.base import Event
from contracts.exchange.registry import EXCHANGE_TYPES
from contracts.registry import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"
Schema = dict[str, Any]
CONTRACTS: tuple[type[Event], ...] = (*EVENT_TYPES, *EXCHANGE_TYPES)


def generate(model: type[Event]) -> Schema:
    schema = model.model_json_schema(mode="serialization")
    schema["$id"] = model.dataschema()
    schema["title"] = model.event_type
    return schema


def revisions(event_type: str, directory: Path = SCHEMA_DIR) -> list[Schema]:
    folder = directory / event_type
    files = sorted(folder.glob("*.json"), key=lambda path: int(path.stem))
    return [json.loads(path.read_text()) for path in files]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Why `new` is not fully compatible with `old` (empty when it is)."""
    comparison = _Comparison(old.get("$defs", {}), new.get("$defs", {}))
    comparison.compare(old, new, "data")
    return comparison.problems


def transitive_breaking_changes(history: list[Schema], new: Schema) -> list[str]:
    """Why `new` is not fully compatible with every revision in `history` (empty when it is), each problem
    naming the revision it breaks."""
    return [
        f"against revision {number}: {problem}"
        for number, old in enumerate(history, start=1)
        for problem in breaking_changes(old, new)
    ]


def _resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _variants(schema: Schema, defs: dict[str, Schema]) -> list[Schema]:
    schema = _resolve(schema, defs)
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return [_resolve(part, defs) for part in schema[keyword]]
    return [schema]


def _kind(schema: Schema) -> str:
    if "enum" in schema:
        return "enum"
    if "const" in schema:
        return "const"
    return str(schema.get("type", "any")) + ("/" + schema["format"] if "format" in schema else "")


class _Comparison:
    BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern")

    def __init__(self, old_defs: dict[str, Schema], new_defs: dict[str, Schema]) -> None:
        self.old_defs = old_defs
        self.new_defs = new_defs
        self.problems: list[str] = []
        self._seen: set[tuple[int, int]] = set()

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        marker = (id(old), id(new))
        if marker in self._seen:
            return
        self._seen.add(marker)
        old_variants = sorted(_variants(old, self.old_defs), key=_kind)
        new_variants = sorted(_variants(new, self.new_defs), key=_kind)
        old_kinds = [_kind(v) for v in old_variants]
        new_kinds = [_kind(v) for v in new_variants]
        if old_kinds != new_kinds:
            self.problems.append(f"{path}: type changed from {old_kinds} to {new_kinds}")
            return
        for old_variant, new_variant in zip(old_variants, new_variants, strict=True):
            self._compare_variant(old_variant, new_variant, path)

    def _compare_variant(self, old: Schema, new: Schema, path: str) -> None:
        if "enum" in old and set(old["enum"]) != set(new.get("enum", [])):
            self.problems.append(f"{path}: allowed values changed from {sorted(old['enum'])} to {sorted(new['enum'])}")
        if old.get("const") != new.get("const"):
            self.problems.append(f"{path}: constant changed")
        for bound in self.BOUNDS:
            if old.get(bound) != new.get(bound):
                self.problems.append(f"{path}: {bound} changed from {old.get(bound)} to {new.get(bound)}")
        if old.get("type") == "object":
            old_props, new_props = old.get("properties", {}), new.get("properties", {})
            for name in old_props.keys() - new_props.keys():
                self.problems.append(f"{path}.{name}: field removed")
            for name in set(new.get("required", [])) - set(old.get("required", [])):
                self.problems.append(f"{path}.{name}: field is newly required")
            for name in old_props.keys() & new_props.keys():
                self.compare(old_props[name], new_props[name], f"{path}.{name}")
        if old.get("type") == "array":
            if old.get("items") or new.get("items"):
                self.compare(old.get("items") or {}, new.get("items") or {}, f"{path}[]")
            for index, (old_item, new_item) in enumerate(
                zip(old.get("prefixItems", []), new.get("prefixItems", []), strict=False)
            ):
                self.compare(old_item, new_item, f"{path}[{index}]")


def update(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write a new revision for every model whose schema changed compatibly; return what it did or refused."""
    report: list[str] = []
    for model in CONTRACTS:
        current = generate(model)
        history = revisions(model.event_type, directory)
        if history and history[-1] == current:
            continue
        if problems := transitive_breaking_changes(history, current):
            report.append(f"REFUSED {model.event_type}: breaking change, publish a new version instead: {problems}")
            continue
        folder = directory / model.event_type
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(history) + 1}.json"
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        report.append(f"wrote {path.relative_to(directory.parent)}")
    return report


if __name__ == "__main__":
    lines = update()
    print("\n".join(lines) or "schemas up to date")
    sys.exit(1 if any(line.startswith("REFUSED") for line in lines) else 0)
