"""The committed JSON Schemas match the models, and no revision breaks any revision before it (FULL_TRANSITIVE)."""

import copy
import itertools
import json
from pathlib import Path

import pytest

from contracts import topics
from contracts.base import Event
from contracts.exchange.messages_v1 import EXCHANGE_TOPIC
from contracts.schemas import (
    CONTRACTS,
    SCHEMA_DIR,
    breaking_changes,
    generate,
    revisions,
    transitive_breaking_changes,
    update,
)


@pytest.mark.parametrize("model", CONTRACTS, ids=lambda model: model.event_type)
def test_committed_schema_matches_the_model(model: type[Event]) -> None:
    history = revisions(model.event_type)
    assert history, f"no committed schema for {model.event_type}: run `python -m contracts.schemas`"
    assert history[-1] == generate(model), (
        f"{model.event_type} drifted from its committed schema: run `python -m contracts.schemas`"
    )


@pytest.mark.parametrize("model", CONTRACTS, ids=lambda model: model.event_type)
def test_every_revision_is_compatible_with_every_revision_before_it(model: type[Event]) -> None:
    history = revisions(model.event_type)
    for older, newer in itertools.combinations(history, 2):
        assert breaking_changes(older, newer) == []


@pytest.mark.parametrize("model", CONTRACTS, ids=lambda model: model.event_type)
def test_types_and_topics_carry_their_major_version(model: type[Event]) -> None:
    assert model.event_type.endswith(".v1")
    assert model.topic in {*topics.ALL_TOPICS, EXCHANGE_TOPIC}
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
    for model in CONTRACTS:
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


def test_the_checker_refuses_a_revision_that_breaks_an_older_one_though_not_the_last(tmp_path: Path) -> None:
    """FULL_TRANSITIVE: a reader built on revision 1 must still read data of revision 3. History: revision 1
    required `consent_recorded`; revision 2 (recorded by hand, by mistake) dropped it; the model, compatible with
    revision 2, is still refused, naming revision 1."""
    for model in CONTRACTS:
        folder = tmp_path / model.event_type
        folder.mkdir()
        (folder / "1.json").write_text(json.dumps(generate(model)))
    referral = "cme.exchange.referral.v1"
    current = generate(next(model for model in CONTRACTS if model.event_type == referral))
    first = copy.deepcopy(current)
    first["properties"]["consent_recorded"] = {"type": "boolean"}
    first["required"] = [*first["required"], "consent_recorded"]
    (tmp_path / referral / "1.json").write_text(json.dumps(first))
    second = copy.deepcopy(current)
    second["description"] = "an earlier wording"
    (tmp_path / referral / "2.json").write_text(json.dumps(second))

    assert breaking_changes(second, current) == []
    assert transitive_breaking_changes([first, second], current) == [
        "against revision 1: data.consent_recorded: field removed"
    ]
    report = update(tmp_path)
    assert any(line.startswith(f"REFUSED {referral}") and "against revision 1" in line for line in report)
    assert not (tmp_path / referral / "3.json").exists()
