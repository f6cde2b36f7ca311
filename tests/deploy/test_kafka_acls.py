"""Issue 11: each process's KafkaUser ACLs are generated from the code and equal what it reads and writes.

The committed base/kafka-users.yaml must be exactly what scripts/generate_kafka_acls.py generates, and what it
grants is compared with two other statements of each service's traffic: the subscriptions its `build()` registers
and the AsyncAPI document generated from it (docs/asyncapi/<service>.yaml).
"""

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from cme_cli.suite import SERVICES
from contracts import topics
from contracts.events.intake_v1 import SUBMISSION_TYPES, LaEnquirySubmitted
from contracts.registry import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
KAFKA_USERS = ROOT / "deploy" / "k8s" / "base" / "kafka-users.yaml"


@cache
def generator() -> ModuleType:
    """scripts/ is not a package: load the generator from its file."""
    spec = importlib.util.spec_from_file_location("generate_kafka_acls", ROOT / "scripts" / "generate_kafka_acls.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def committed_users() -> dict[str, dict[str, Any]]:
    return {
        document["metadata"]["name"]: document
        for document in yaml.safe_load_all(KAFKA_USERS.read_text())
        if document is not None
    }


def granted(user: str, resource_type: str, operation: str) -> set[str]:
    return {
        acl["resource"]["name"]
        for acl in committed_users()[user]["spec"]["authorization"]["acls"]
        if acl["resource"]["type"] == resource_type and operation in acl["operations"]
    }


def all_granted(user: str) -> set[tuple[str, str, str]]:
    return {
        (acl["resource"]["type"], acl["resource"]["name"], operation)
        for acl in committed_users()[user]["spec"]["authorization"]["acls"]
        for operation in acl["operations"]
    }


@cache
def asyncapi_channels(service: str, action: str) -> frozenset[str]:
    document = yaml.safe_load((ROOT / "docs" / "asyncapi" / f"{service}.yaml").read_text())
    return frozenset(
        document["channels"][operation["channel"]["$ref"].split("/")[-1]]["address"]
        for operation in document["operations"].values()
        if operation["action"] == action
    )


def test_the_committed_kafka_users_are_what_the_generator_makes() -> None:
    assert KAFKA_USERS.read_text() == generator().render(generator().kafka_users())


def test_there_is_one_user_per_process_and_one_for_each_operators_tool() -> None:
    assert set(committed_users()) == {f"cme-{service}" for service in SERVICES} | {
        "cme-relay",
        "cme-operator",
        "cme-dlq-replay",
    }


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_exactly_what_it_subscribes_to_and_writes_only_dead_letters(service: str) -> None:
    declared = generator().declared(service)
    user = f"cme-{service}"
    # Notify's cross-LA exchange reads its own authority's exchange topic in a group of its own (and writes Kafka
    # partners' topics, none by default): the exchange's contracts have their own AsyncAPI document.
    exchange_groups = {declared.exchange_group} if declared.exchange_group else set()

    assert granted(user, "topic", "Read") == {*declared.subscribed_topics, *declared.exchange_reads}
    assert granted(user, "topic", "Read") - set(declared.exchange_reads) == asyncapi_channels(service, "receive")
    assert granted(user, "group", "Read") == {declared.consumer_group, *exchange_groups}
    assert declared.consumer_group == f"cme.{service}"
    assert granted(user, "topic", "Write") == {topics.DEAD_LETTER, *declared.exchange_writes}
    # Nothing beyond reading its topics and group and dead-lettering: no Describe on other topics either.
    assert all_granted(user) == {
        *(("topic", topic, operation) for topic in declared.subscribed_topics for operation in ("Describe", "Read")),
        *(("topic", topic, operation) for topic in declared.exchange_reads for operation in ("Describe", "Read")),
        *(("group", group, "Read") for group in exchange_groups),
        ("group", declared.consumer_group, "Read"),
        ("topic", topics.DEAD_LETTER, "Describe"),
        ("topic", topics.DEAD_LETTER, "Write"),
    }


def test_notify_reads_its_own_authoritys_exchange_topic_and_writes_its_kafka_partners(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CME_HOME_LA_CODE", "886")
    monkeypatch.setenv(
        "CME_EXCHANGE_PARTNERS",
        '{"885": {"transport": "kafka"}, "887": {"transport": "https", '
        '"url": "https://887.example.invalid/exchange/v1/messages"}}',
    )
    declared = generator().declared("notify")

    assert declared.exchange_reads == ("cme.exchange.886.v1",)
    assert declared.exchange_group == "cme.notify.exchange"
    assert declared.exchange_writes == ("cme.exchange.885.v1",)


@pytest.mark.parametrize("service", SERVICES)
def test_the_relay_writes_what_each_service_publishes(service: str) -> None:
    published = set(generator().declared(service).published_topics)

    assert published == asyncapi_channels(service, "send")
    assert published <= granted("cme-relay", "topic", "Write")


def test_the_relay_writes_nothing_but_published_topics_and_reads_nothing() -> None:
    published = {topic for service in SERVICES for topic in generator().declared(service).published_topics}

    assert granted("cme-relay", "topic", "Write") == published
    # Submissions come from upstream, except another authority's referral or enquiry, which notify's exchange
    # forwards to intake as an LA enquiry after checking its signature.
    forwarded = {LaEnquirySubmitted.topic}
    assert published == {event.topic for event in EVENT_TYPES if event not in SUBMISSION_TYPES} | forwarded
    assert {operation for _, _, operation in all_granted("cme-relay")} == {"Describe", "Write"}


def test_the_operator_user_describes_and_reads_no_message() -> None:
    assert {operation for _, _, operation in all_granted("cme-operator")} == {"Describe"}
    assert granted("cme-operator", "topic", "Describe") == set(topics.ALL_TOPICS)
    assert granted("cme-operator", "group", "Describe") == {f"cme.{service}" for service in SERVICES}


def test_a_new_subscription_changes_the_generated_acls() -> None:
    """The generator follows the code: a service that subscribed to one more topic would get one more ACL."""
    module = generator()
    triage = module.declared("triage")
    widened = module.Declared(
        triage.service,
        (*triage.subscribed_topics, topics.CASE_LIFECYCLE),
        triage.consumer_group,
        triage.published_topics,
    )
    user = module.service_user(widened).as_strimzi()

    assert {acl["resource"]["name"] for acl in user["spec"]["authorization"]["acls"]} == {
        topics.REFERRAL_RECEIVED,
        topics.CASE_LIFECYCLE,
        "cme.triage",
        topics.DEAD_LETTER,
    }


def test_the_dead_letter_replayer_writes_back_only_to_consumed_topics() -> None:
    consumed = {topic for service in SERVICES for topic in generator().declared(service).subscribed_topics}

    assert granted("cme-dlq-replay", "topic", "Read") == {topics.DEAD_LETTER}
    assert granted("cme-dlq-replay", "topic", "Write") == consumed | {topics.DEAD_LETTER}
    assert granted("cme-dlq-replay", "group", "Read") == set()
