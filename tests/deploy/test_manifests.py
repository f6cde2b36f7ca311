"""Structural checks of the Kubernetes manifests under deploy/k8s, and of the Dockerfile, against the code they deploy.

The manifests are read as YAML, kustomizations are followed through their resources and components, and what they
declare is compared with the topics, services, ports, subscriptions and consumer groups of the code. What kustomize
renders from them, and its validation, is in test_rendered_manifests.py and test_secure_transport.py.
"""

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cme_cli.suite import DEFAULT_PORTS, SERVICES
from contracts import topics
from contracts.events.intake_v1 import SUBMISSION_TYPES, LaEnquirySubmitted
from contracts.exchange.messages_v1 import exchange_topic
from contracts.registry import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = K8S / "overlays"
LOCAL = OVERLAYS / "local"
PRODUCTION = OVERLAYS / "production"
OTEL_COMPONENT = K8S / "components" / "otel"

PARTITIONS = 6
DAY_MS = 24 * 60 * 60 * 1000
PROCESSES = (*SERVICES, "relay")
POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
SECRET_SETTINGS = (
    "DATABASE_URL",
    "CME_API_TOKENS",
    "CME_OIDC_CLIENT_SECRET",
    "CME_GOV_NOTIFY_API_KEY",
    "CME_GOV_NOTIFY_CALLBACK_TOKEN",
    "CME_INTERNAL_API_TOKEN",
)


@dataclass(frozen=True)
class Resource:
    path: Path
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.body.get("spec") or {})


def documents(path: Path) -> list[Any]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def yaml_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.suffix in {".yaml", ".yml"})


def is_resource(document: Any) -> bool:
    return isinstance(document, dict) and "apiVersion" in document and "kind" in document


def is_kustomization(path: Path) -> bool:
    return path.name in {"kustomization.yaml", "kustomization.yml"}


@cache
def all_resources() -> tuple[Resource, ...]:
    """Every Kubernetes object in every YAML file under deploy/k8s (kustomizations and the partial objects of
    patch files excluded: tests/deploy/test_rendered_manifests.py checks what the patches make)."""
    return tuple(
        Resource(path, document)
        for path in yaml_files(K8S)
        if not is_kustomization(path) and path.resolve() not in patch_files()
        for document in documents(path)
        if is_resource(document)
    )


@cache
def patch_files() -> frozenset[Path]:
    return frozenset(
        (path.parent / patch["path"]).resolve()
        for path in yaml_files(K8S)
        if is_kustomization(path)
        for patch in kustomization(path.parent).get("patches", [])
        if "path" in patch
    )


def kustomization(directory: Path) -> dict[str, Any]:
    (body,) = documents(directory / "kustomization.yaml")
    return dict(body)


@cache
def rendered(directory: Path) -> tuple[Resource, ...]:
    """The objects a kustomization assembles from its resources and components (patches are not applied)."""
    body = kustomization(directory)
    found: list[Resource] = []
    for entry in [*body.get("resources", []), *body.get("components", [])]:
        target = (directory / entry).resolve()
        if target.is_dir():
            found.extend(rendered(target))
        else:
            found.extend(Resource(target, document) for document in documents(target) if is_resource(document))
    return tuple(found)


def of_kind(resources: Iterable[Resource], kind: str) -> list[Resource]:
    return [resource for resource in resources if resource.kind == kind]


def named(resources: Iterable[Resource], kind: str, name: str) -> Resource:
    (match,) = [resource for resource in of_kind(resources, kind) if resource.name == name]
    return match


def pod_spec(resource: Resource) -> dict[str, Any]:
    if resource.kind == "CronJob":
        return dict(resource.spec["jobTemplate"]["spec"]["template"]["spec"])
    return dict(resource.spec["template"]["spec"])


def pod_labels(resource: Resource) -> dict[str, str]:
    template = (
        resource.spec["jobTemplate"]["spec"]["template"] if resource.kind == "CronJob" else resource.spec["template"]
    )
    return dict(template["metadata"]["labels"])


def pod_owners(resources: Iterable[Resource]) -> list[Resource]:
    return [resource for resource in resources if resource.kind in POD_OWNERS]


def containers(resource: Resource, *, init: bool = True) -> Iterator[dict[str, Any]]:
    spec = pod_spec(resource)
    yield from spec.get("initContainers", []) if init else []
    yield from spec["containers"]


def main_container(deployment: Resource) -> dict[str, Any]:
    (container,) = [c for c in pod_spec(deployment)["containers"] if c["name"] == deployment.name]
    return dict(container)


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def config_map_data() -> dict[str, str]:
    return dict(named(of_kind(rendered(BASE), "ConfigMap"), "ConfigMap", "cme-config").body["data"])


@cache
def subscriptions(service: str) -> tuple[frozenset[str], frozenset[str]]:
    """The topics and consumer groups the service's code subscribes with (built, never connected)."""
    app = importlib.import_module(f"services.{service}.app").asyncapi_app()
    subscribers = app.broker.subscribers
    return (
        frozenset(name for subscriber in subscribers for name in subscriber.topic_names),
        frozenset(subscriber.group_id for subscriber in subscribers),
    )


def kafka_topics() -> list[Resource]:
    return of_kind(all_resources(), "KafkaTopic")


def acl_topics(user: Resource, operation: str) -> set[str]:
    return {
        acl["resource"]["name"]
        for acl in user.spec["authorization"]["acls"]
        if acl["resource"]["type"] == "topic" and operation in acl["operations"]
    }


def acl_groups(user: Resource) -> set[str]:
    return {acl["resource"]["name"] for acl in user.spec["authorization"]["acls"] if acl["resource"]["type"] == "group"}


# Topics


def test_every_topic_has_exactly_one_kafka_topic() -> None:
    declared = [resource.spec["topicName"] for resource in kafka_topics()]

    for topic in topics.ALL_TOPICS:
        assert declared.count(topic) == 1, topic


def test_no_kafka_topic_names_an_unknown_topic() -> None:
    # Besides the suite's own topics, the authority's cross-LA exchange topic (LA 885 by default).
    known = {*topics.ALL_TOPICS, exchange_topic("885")}
    unknown = {resource.spec.get("topicName", resource.name) for resource in kafka_topics()} - known

    assert unknown == set()


def test_kafka_topic_resource_names_are_the_topic_names_with_hyphens() -> None:
    for resource in kafka_topics():
        assert resource.name == re.sub(r"[._]", "-", resource.spec["topicName"])
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", resource.name), resource.name


def test_topics_survive_a_broker_loss_and_fit_the_largest_consumer_group() -> None:
    for resource in of_kind(rendered(BASE), "KafkaTopic"):
        assert resource.spec["partitions"] == PARTITIONS, resource.name
        assert resource.spec["replicas"] == 3, resource.name
        assert resource.spec["config"]["min.insync.replicas"] == 2, resource.name
        assert resource.body["metadata"]["labels"]["strimzi.io/cluster"] == "cme", resource.name


def test_intake_and_dead_letter_topics_are_kept_thirty_days_and_derived_topics_less() -> None:
    long_lived = {*topics.INTAKE_SUBMISSION_TOPICS, topics.INTAKE_REJECTED, topics.DEAD_LETTER, exchange_topic("885")}
    for resource in of_kind(rendered(BASE), "KafkaTopic"):
        retention = resource.spec["config"]["retention.ms"]
        if resource.spec["topicName"] in long_lived:
            assert retention == 30 * DAY_MS, resource.name
        else:
            assert retention < 30 * DAY_MS, resource.name


def test_the_local_overlay_shrinks_every_topic_to_one_broker() -> None:
    (patch,) = [entry for entry in kustomization(LOCAL)["patches"] if entry["target"]["kind"] == "KafkaTopic"]
    operations = {operation["path"]: operation["value"] for operation in documents(LOCAL / patch["path"])[0]}

    assert operations == {"/spec/replicas": 1, "/spec/config/min.insync.replicas": 1}


# Workloads


@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_has_a_deployment_probed_on_its_health_endpoints(process: str) -> None:
    container = main_container(named(rendered(BASE), "Deployment", process))

    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["port"] == "http"
    assert container["livenessProbe"]["httpGet"]["port"] == "http"


@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_listens_on_its_settings_port(process: str) -> None:
    deployment = named(rendered(BASE), "Deployment", process)
    container = main_container(deployment)
    service = named(rendered(BASE), "Service", process)

    assert container["ports"] == [{"name": "http", "containerPort": DEFAULT_PORTS[process], "protocol": "TCP"}]
    assert env_of(container)["CME_HTTP_PORT"]["value"] == str(DEFAULT_PORTS[process])
    assert service.spec["selector"] == deployment.spec["selector"]["matchLabels"]
    assert [(port["port"], port["targetPort"]) for port in service.spec["ports"]] == [(DEFAULT_PORTS[process], "http")]
    # Reached by the kubelet's probes and by other pods, so not on loopback.
    assert config_map_data()["CME_HTTP_HOST"] == "0.0.0.0"  # noqa: S104


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_its_own_code_and_migrates_its_schema_before_it_starts(service: str) -> None:
    deployment = named(rendered(BASE), "Deployment", service)
    (migrate,) = pod_spec(deployment)["initContainers"]

    assert main_container(deployment)["command"] == ["python", "-m", f"services.{service}"]
    assert migrate["command"] == ["python", "-m", f"services.{service}", "migrate"]
    assert env_of(migrate)["DATABASE_URL"] == env_of(main_container(deployment))["DATABASE_URL"]


def test_the_relay_runs_the_relay_module() -> None:
    assert main_container(named(rendered(BASE), "Deployment", "relay"))["command"] == [
        "python",
        "-m",
        "cme_runtime.relay_main",
    ]


@pytest.mark.parametrize("service", ["triage", "review", "casework"])
def test_each_scheduler_runs_its_services_due_rules_every_fifteen_minutes_without_overlap(service: str) -> None:
    """Triage's joiner watches and deadlines; review's further reviews and re-checks; casework's task diary. Each
    as its own role."""
    cron_job = named(rendered(BASE), "CronJob", f"{service}-run-due")
    (container,) = containers(cron_job)

    assert cron_job.spec["schedule"] == "*/15 * * * *"
    assert cron_job.spec["concurrencyPolicy"] == "Forbid"
    assert container["command"] == ["python", "-m", f"services.{service}", "run-due"]
    assert env_of(container)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"cme-{service}-database"


def test_every_container_has_the_restricted_security_context() -> None:
    owners = pod_owners(all_resources())
    assert owners
    for owner in owners:
        pod = pod_spec(owner)
        pod_level = pod.get("securityContext", {})
        for container in containers(owner):
            context = {**pod_level, **container["securityContext"]}
            where = f"{owner.path.name}: {owner.name}/{container['name']}"
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context.get("privileged", False) is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            assert context["seccompProfile"]["type"] == "RuntimeDefault", where


def test_every_container_has_resource_requests_and_limits() -> None:
    for owner in pod_owners(all_resources()):
        for container in containers(owner):
            where = f"{owner.path.name}: {owner.name}/{container['name']}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where


def test_pods_mount_no_service_account_token_and_no_host_paths() -> None:
    for owner in pod_owners(all_resources()):
        pod = pod_spec(owner)
        assert pod["automountServiceAccountToken"] is False, owner.name
        assert all("hostPath" not in volume for volume in pod.get("volumes", [])), owner.name


@pytest.mark.parametrize("process", PROCESSES)
def test_consumers_get_at_least_thirty_seconds_to_finish_and_commit(process: str) -> None:
    assert pod_spec(named(rendered(BASE), "Deployment", process))["terminationGracePeriodSeconds"] >= 30


def test_secrets_are_referenced_never_stored() -> None:
    assert of_kind(all_resources(), "Secret") == []
    assert not set(SECRET_SETTINGS) & set(config_map_data())
    referenced = set()
    for owner in pod_owners(all_resources()):
        for container in containers(owner):
            for name in SECRET_SETTINGS:
                if name in env_of(container):
                    reference = env_of(container)[name]["valueFrom"]["secretKeyRef"]
                    assert reference["key"] == name
                    referenced.add(reference["name"])

    assert referenced == {
        *(f"cme-{process}-database" for process in PROCESSES),
        "cme-casework-api-tokens",
        "cme-casework-oidc",
        "cme-notify-gov-notify",
        "cme-internal-api-token",
    }


def test_every_process_exports_traces_to_the_collector_under_its_own_name() -> None:
    endpoint = urlsplit(config_map_data()["OTEL_EXPORTER_OTLP_ENDPOINT"])
    collector = named(rendered(OTEL_COMPONENT), "Service", str(endpoint.hostname))

    assert endpoint.port in [port["port"] for port in collector.spec["ports"]]
    for owner in pod_owners(rendered(BASE)):
        for container in containers(owner, init=False):
            assert {"configMapRef": {"name": "cme-config"}} in container["envFrom"], owner.name
            assert env_of(container)["OTEL_SERVICE_NAME"]["value"], owner.name


def test_the_namespace_enforces_the_restricted_pod_security_standard() -> None:
    (namespace,) = of_kind(rendered(BASE), "Namespace")

    assert namespace.body["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert kustomization(BASE)["namespace"] == namespace.name


def test_the_suite_image_is_set_by_the_overlays_and_other_images_are_pinned() -> None:
    for owner in pod_owners(all_resources()):
        for container in containers(owner):
            image = container["image"]
            assert image == "cme-suite" or (":" in image and not image.endswith(":latest")), image


# Autoscaling on consumer lag


def scaled_objects() -> list[Resource]:
    return of_kind(all_resources(), "ScaledObject")


def test_every_consuming_service_has_a_scaled_object() -> None:
    consuming = {service for service in SERVICES if subscriptions(service)[0]}

    assert {scaled.spec["scaleTargetRef"]["name"] for scaled in scaled_objects()} == consuming


def test_keda_scales_each_service_on_its_own_consumer_group() -> None:
    for scaled in scaled_objects():
        service = scaled.spec["scaleTargetRef"]["name"]
        groups = {trigger["metadata"]["consumerGroup"] for trigger in scaled.spec["triggers"]}

        assert groups == {f"cme.{service}"}
        assert groups == subscriptions(service)[1]


def test_keda_watches_exactly_the_topics_each_service_subscribes_to() -> None:
    for scaled in scaled_objects():
        service = scaled.spec["scaleTargetRef"]["name"]
        watched = [trigger["metadata"]["topic"] for trigger in scaled.spec["triggers"]]

        assert all(trigger["type"] == "kafka" for trigger in scaled.spec["triggers"])
        assert sorted(watched) == sorted(subscriptions(service)[0])


def test_keda_never_scales_past_the_partition_count_or_to_zero() -> None:
    partitions = {resource.spec["topicName"]: resource.spec["partitions"] for resource in kafka_topics()}
    for scaled in scaled_objects():
        for trigger in scaled.spec["triggers"]:
            assert scaled.spec["maxReplicaCount"] <= partitions[trigger["metadata"]["topic"]], scaled.name
        assert scaled.spec["minReplicaCount"] >= 1, scaled.name


def test_keda_reads_the_kafka_cluster_the_services_use() -> None:
    # The keda component goes with secure-transport, which points the services at the SASL_SSL listener.
    (secure_config,) = documents(K8S / "components" / "secure-transport" / "config.yaml")
    bootstrap = secure_config["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    for scaled in scaled_objects():
        for trigger in scaled.spec["triggers"]:
            assert trigger["metadata"]["bootstrapServers"] == bootstrap, scaled.name


# Kafka users and their ACLs


def kafka_users() -> list[Resource]:
    return of_kind(rendered(BASE), "KafkaUser")


@pytest.mark.parametrize("service", SERVICES)
def test_service_users_read_their_subscriptions_and_write_only_the_dead_letter_topic(service: str) -> None:
    user = named(kafka_users(), "KafkaUser", f"cme-{service}")
    subscribed, groups = subscriptions(service)
    # Notify's cross-LA exchange also reads this authority's exchange topic in a group of its own (the defaults:
    # LA 885, no partner over Kafka to write to).
    exchange_topics, exchange_groups = (
        ({exchange_topic("885")}, {"cme.notify.exchange"}) if service == "notify" else (set(), set())
    )

    assert acl_topics(user, "Read") == set(subscribed) | exchange_topics
    assert acl_topics(user, "Describe") >= set(subscribed)
    assert acl_groups(user) == set(groups) | exchange_groups
    assert set(groups) == {f"cme.{service}"}
    assert acl_topics(user, "Write") == {topics.DEAD_LETTER}


def test_the_relay_user_writes_every_topic_services_publish_to_and_reads_none() -> None:
    relay = named(kafka_users(), "KafkaUser", "cme-relay")
    # Notify forwards another authority's verified referral or enquiry to intake as an LA enquiry submission.
    published = {event.topic for event in EVENT_TYPES if event not in SUBMISSION_TYPES} | {LaEnquirySubmitted.topic}

    assert acl_topics(relay, "Write") == published
    assert acl_topics(relay, "Read") == set()
    assert acl_groups(relay) == set()


def test_kafka_users_authenticate_and_grant_only_literal_acls() -> None:
    assert {user.name for user in kafka_users()} == {
        f"cme-{process}" for process in (*PROCESSES, "operator", "dlq-replay")
    }
    for user in kafka_users():
        assert user.spec["authentication"]["type"] == "scram-sha-512", user.name
        for acl in user.spec["authorization"]["acls"]:
            assert acl["resource"]["patternType"] == "literal", user.name
            assert "*" not in acl["resource"]["name"], user.name
            assert not {"All", "Create", "Delete", "Alter"} & set(acl["operations"]), user.name


# Kustomize structure


def kustomization_references(path: Path) -> Iterator[Path]:
    body = kustomization(path.parent)
    for entry in [*body.get("resources", []), *body.get("components", [])]:
        yield path.parent / entry
    for patch in body.get("patches", []):
        if "path" in patch:
            yield path.parent / patch["path"]
    for generator in [*body.get("configMapGenerator", []), *body.get("secretGenerator", [])]:
        for source in generator.get("files", []):
            yield path.parent / source.split("=", 1)[-1]


def kustomizations() -> list[Path]:
    return [path for path in yaml_files(K8S) if is_kustomization(path)]


def test_kustomizations_reference_only_files_that_exist() -> None:
    assert kustomizations()
    for path in kustomizations():
        for reference in kustomization_references(path):
            where = f"{path.relative_to(K8S)} -> {reference.relative_to(K8S)}"
            if reference.is_dir():
                assert (reference / "kustomization.yaml").is_file(), where
            else:
                assert reference.is_file(), where


def test_every_manifest_file_is_used_by_some_kustomization() -> None:
    used = {reference.resolve() for path in kustomizations() for reference in kustomization_references(path)}
    manifests = {path.resolve() for path in yaml_files(K8S) if not is_kustomization(path)}

    assert manifests - used == set()


def test_components_are_components_and_overlays_use_each_of_them() -> None:
    components = sorted(path for path in (K8S / "components").iterdir() if path.is_dir())
    for component in components:
        assert kustomization(component)["kind"] == "Component", component.name
    used = {
        (overlay / entry).resolve() for overlay in (LOCAL, PRODUCTION) for entry in kustomization(overlay)["components"]
    }

    assert {component.resolve() for component in components} <= used


@pytest.mark.parametrize("overlay", [LOCAL, PRODUCTION], ids=["local", "production"])
def test_overlays_put_their_components_in_the_base_namespace(overlay: Path) -> None:
    assert kustomization(overlay)["namespace"] == kustomization(BASE)["namespace"]
    for resource in rendered(overlay):
        assert "namespace" not in resource.body["metadata"], f"{resource.path.name}: {resource.name}"


@pytest.mark.parametrize("overlay", [LOCAL, PRODUCTION], ids=["local", "production"])
def test_overlay_patches_target_kinds_the_overlay_contains(overlay: Path) -> None:
    kinds = {resource.kind for resource in rendered(overlay)}
    for patch in kustomization(overlay).get("patches", []):
        assert patch["target"]["kind"] in kinds


# Production


def test_production_runs_at_least_two_of_every_deployment() -> None:
    counts = {entry["name"]: entry["count"] for entry in kustomization(PRODUCTION)["replicas"]}
    deployments = {deployment.name for deployment in of_kind(rendered(PRODUCTION), "Deployment")}
    scaled = {scaled.spec["scaleTargetRef"]["name"] for scaled in of_kind(rendered(PRODUCTION), "ScaledObject")}
    (keda_floor,) = [
        patch for patch in kustomization(PRODUCTION)["patches"] if patch["target"]["kind"] == "ScaledObject"
    ]

    # A Deployment KEDA scales may leave its count to the ScaledObject's floor (see deploy/README.md).
    assert yaml.safe_load(keda_floor["patch"]) == [{"op": "replace", "path": "/spec/minReplicaCount", "value": 2}]
    assert set(counts) <= deployments
    for deployment in deployments - scaled:
        assert counts.get(deployment, 0) >= 2, deployment
    assert min(counts.values()) >= 2


def test_production_limits_disruption_of_every_deployment() -> None:
    budgets = of_kind(rendered(PRODUCTION), "PodDisruptionBudget")
    for deployment in of_kind(rendered(PRODUCTION), "Deployment"):
        selector = deployment.spec["selector"]["matchLabels"]
        covering = [budget for budget in budgets if budget.spec["selector"]["matchLabels"] == selector]

        assert len(covering) == 1, deployment.name
        assert covering[0].spec["maxUnavailable"] == 1, deployment.name


def test_production_serves_casework_over_tls_only() -> None:
    (ingress,) = of_kind(rendered(PRODUCTION), "Ingress")
    hosts = {rule["host"] for rule in ingress.spec["rules"]}
    backends = {path["backend"]["service"]["name"] for rule in ingress.spec["rules"] for path in rule["http"]["paths"]}

    assert backends == {"casework"}
    assert [(set(tls["hosts"]), tls["secretName"]) for tls in ingress.spec["tls"]] == [(hosts, "cme-casework-tls")]


def test_production_pins_the_suite_image() -> None:
    (image,) = [entry for entry in kustomization(PRODUCTION)["images"] if entry["name"] == "cme-suite"]

    assert image.get("digest") or re.fullmatch(r"\d+\.\d+\.\d+", str(image["newTag"]))
    assert "newName" in image


# Network policies


def network_policies() -> list[Resource]:
    return of_kind(rendered(PRODUCTION), "NetworkPolicy")


def policy_for(labels: dict[str, str]) -> list[Resource]:
    return [
        policy
        for policy in network_policies()
        if policy.spec["podSelector"].get("matchLabels")
        and policy.spec["podSelector"]["matchLabels"].items() <= labels.items()
    ]


def egress_ports(policy: Resource) -> set[int]:
    return {port["port"] for rule in policy.spec.get("egress", []) for port in rule.get("ports", [])}


def test_production_denies_all_traffic_by_default() -> None:
    deny_all = [policy for policy in network_policies() if policy.spec["podSelector"] == {}]

    assert len(deny_all) == 1
    assert set(deny_all[0].spec["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny_all[0].spec and "egress" not in deny_all[0].spec


def test_every_workload_has_its_own_policy_allowing_dns() -> None:
    for owner in pod_owners(rendered(PRODUCTION)):
        (policy,) = policy_for(pod_labels(owner))

        assert set(policy.spec["policyTypes"]) == {"Ingress", "Egress"}, owner.name
        assert 53 in egress_ports(policy), owner.name


# Beyond DNS, Kafka, PostgreSQL and the collector: casework calls the internal APIs of review (the Missing Mondays
# pages), intake (officer-entered referrals, match reviews, documents), reporting (the pack) and notify (the exchange's
# traffic), and notify calls GOV.UK Notify over HTTPS.
EXTRA_EGRESS = {"casework": {8003, 8001, 8007, 8004}, "notify": {443}}


@pytest.mark.parametrize("process", PROCESSES)
def test_processes_may_reach_kafka_postgres_and_the_collector_and_only_what_else_they_call(process: str) -> None:
    (policy,) = policy_for(pod_labels(named(rendered(PRODUCTION), "Deployment", process)))

    # 9093: the Kafka cluster's SASL_SSL listener only (components/secure-transport).
    assert egress_ports(policy) == {53, 9093, 5432, 4318, *EXTRA_EGRESS.get(process, set())}


def test_notify_reaches_the_internet_on_https_only_and_never_the_private_ranges() -> None:
    (policy,) = policy_for(pod_labels(named(rendered(PRODUCTION), "Deployment", "notify")))
    internet = [rule for rule in policy.spec["egress"] if any("ipBlock" in peer for peer in rule["to"])]

    assert [port["port"] for rule in internet for port in rule["ports"]] == [443]
    (block,) = [peer["ipBlock"] for rule in internet for peer in rule["to"]]
    assert block == {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}


def test_only_casework_and_notify_accept_traffic_from_the_ingress_controller() -> None:
    """Officers reach casework's UI; GOV.UK Notify posts delivery receipts to notify. Nothing else is exposed."""
    admitted = {
        policy.name
        for policy in network_policies()
        for rule in policy.spec.get("ingress", [])
        for peer in rule["from"]
        if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    }

    assert admitted == {"casework", "notify"}


# The image


def test_dockerfile_builds_a_non_root_image_from_the_lock_file_with_the_frontend_assets() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "ARG PYTHON_IMAGE=python:3.11-slim\n" in dockerfile
    assert "@sha256:" in dockerfile  # how to pin the base by digest
    assert "uv==0.13.8" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "RUN bash scripts/frontend.sh" in dockerfile
    assert "services/casework/entrypoints/web/static/vendor" in dockerfile
    assert re.search(r"PYTHONDONTWRITEBYTECODE=1\b", dockerfile)
    assert re.search(r"PYTHONUNBUFFERED=1\b", dockerfile)
    assert re.findall(r"^USER (.+)$", dockerfile, re.MULTILINE)[-1] == "10001:10001"


def test_docker_build_context_holds_only_what_the_image_needs() -> None:
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]

    assert rules[0] == "*"
    assert {"!pyproject.toml", "!uv.lock", "!contracts/", "!cme_runtime/", "!services/"} <= set(rules)
    assert "services/casework/entrypoints/web/static/vendor" in rules
