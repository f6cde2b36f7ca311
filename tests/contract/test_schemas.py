"""The committed JSON Schemas match the models, and no revision breaks the one before it."""

import copy
import itertools
import json
from pathlib import Path

import pytest

from contracts import topics
from contracts.base import Event
from contracts.registry import EVENT_TYPES
from contracts.schemas import SCHEMA_DIR, breaking_changes, generate, revisions, update


@pytest.mark.parametrize("model", EVENT_TYPES, ids=lambda model: model.event_type)
def test_committed_schema_matches_the_model(model: type[Event]) -> None:
    history = revisions(model.event_type)
    assert history, f"no committed schema for {model.event_type}: run `python -m contracts.schemas`"
    assert history[-1] == generate(model), (
        f"{model.event_type} drifted from its committed schema: run `python -m contracts.schemas`"
    )


@pytest.mark.parametrize("model", EVENT_TYPES, ids=lambda model: model.event_type)
def test_every_revision_is_compatible_with_the_one_before(model: type[Event]) -> None:
    history = revisions(model.event_type)
    for older, newer in itertools.pairwise(history):
        assert breaking_changes(older, newer) == []


@pytest.mark.parametrize("model", EVENT_TYPES, ids=lambda model: model.event_type)
def test_types_and_topics_carry_their_major_version(model: type[Event]) -> None:
    assert model.event_type.endswith(".v1")
    assert model.topic in topics.ALL_TOPICS
    assert model.topic.endswith(".v1")


def referral_schema() -> dict:
    return json.loads((SCHEMA_DIR / "cme.referral.received.v1" / "1.json").read_text())


def test_adding_an_optional_field_is_compatible() -> None:
    newer = referral_schema()
    newer["properties"]["note"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert breaking_changes(referral_schema(), newer) == []


def test_the_checker_catches_a_deliberately_breaking_change() -> None:
    newer = copy.deepcopy(referral_schema())
    del newer["properties"]["submission_id"]
    newer["required"] = [*newer["required"], "school"]
    newer["$defs"]["Child"]["properties"]["date_of_birth"] = {"type": "string"}
    newer["$defs"]["ReferralKind"]["enum"].remove("joiner")

    problems = breaking_changes(referral_schema(), newer)

    assert "data.submission_id: field removed" in problems
    assert "data.school: field is newly required" in problems
    assert any(p.startswith("data.child.date_of_birth: type changed") for p in problems)
    assert any(p.startswith("data.kind: allowed values changed") for p in problems)


def test_the_schema_tool_refuses_to_record_a_breaking_revision(tmp_path: Path) -> None:
    for model in EVENT_TYPES:
        folder = tmp_path / model.event_type
        folder.mkdir()
        schema = generate(model)
        if model.event_type == "cme.referral.received.v1":
            schema = copy.deepcopy(schema)
            schema["properties"]["legacy_field"] = {"type": "string"}
        (folder / "1.json").write_text(json.dumps(schema))

    report = update(tmp_path)

    assert any(line.startswith("REFUSED cme.referral.received.v1") for line in report)
    assert not (tmp_path / "cme.referral.received.v1" / "2.json").exists()
