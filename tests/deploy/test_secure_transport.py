"""Issue 11: the production overlay, as kustomize renders it, talks SASL_SSL to Kafka as each process's own
KafkaUser and verify-full TLS to PostgreSQL, and keeps every credential in a Secret."""

import re
from typing import Any

import pytest

from cme_cli.suite import SERVICES
from tests.deploy.rendering import (
    Object,
    containers,
    env_of,
    mounted_files,
    named,
    of_kind,
    overlay_components,
    overlays,
    pod_template,
)

pytestmark = pytest.mark.timeout(1200)  # may install the tools (see test_rendered_manifests.py)

KAFKA_PROCESSES = (*SERVICES, "relay")
SECRET_LOOKING_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|_KEYS?$|CREDENTIAL|DATABASE_URL|PRIVATE", re.IGNORECASE)
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s]+:[^/@\s]+@")


def config(production: list[Object]) -> dict[str, str]:
    return dict(named(production, "ConfigMap", "cme-config")["data"])


def main_container(obj: Object) -> dict[str, Any]:
    (container,) = [c for c in pod_template(obj)["spec"]["containers"] if c["name"] == obj["metadata"]["name"]]
    return dict(container)


def test_production_talks_sasl_ssl_with_scram_to_the_tls_listener(production: list[Object]) -> None:
    settings = config(production)

    assert settings["CME_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["CME_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert settings["KAFKA_BOOTSTRAP_SERVERS"] == "cme-kafka-bootstrap.kafka.svc:9093"


@pytest.mark.parametrize("process", KAFKA_PROCESSES)
def test_each_process_logs_in_as_its_own_kafka_user_with_the_operators_secret(
    process: str, production: list[Object]
) -> None:
    deployment = named(production, "Deployment", process)
    container = main_container(deployment)
    env = env_of(container)
    username = env["CME_KAFKA_USERNAME"]["value"]
    user = named(production, "KafkaUser", username)

    assert username == f"cme-{process}"
    # SCRAM-SHA-512 on both sides: the client's mechanism and the user the Strimzi User Operator creates.
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert config(production)["CME_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    # The User Operator writes the password to a Secret named after the user, under the key `password`.
    assert env["CME_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": username, "key": "password"}
    # The CA file the client trusts is the cluster CA, mounted from a Secret.
    assert mounted_files(deployment, container)[config(production)["CME_KAFKA_CA_FILE"]] == (
        "cme-cluster-ca-cert",
        "ca.crt",
    )


def test_every_database_connection_verifies_the_servers_certificate_and_name(production: list[Object]) -> None:
    settings = config(production)
    assert settings["PGSSLMODE"] == "verify-full"
    checked = 0
    for owner in production:
        if owner["kind"] not in {"Deployment", "CronJob"}:
            continue
        for container in containers(owner):
            if "DATABASE_URL" not in env_of(container):
                continue
            where = f"{owner['metadata']['name']}/{container['name']}"
            assert {"configMapRef": {"name": "cme-config"}} in container["envFrom"], where
            assert mounted_files(owner, container).get(settings["PGSSLROOTCERT"]) == ("cme-postgres-ca", "ca.crt"), (
                where
            )
            assert env_of(container)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_URL", where
            checked += 1
        # The services with their migrations, the relay, and the three schedulers (triage, review, casework).
    assert checked == 2 * len(SERVICES) + 4


def test_no_config_map_holds_a_secret(rendered_targets: dict[str, list[Object]]) -> None:
    for target, objects in rendered_targets.items():
        assert of_kind(objects, "Secret") == [], target
        for config_map in of_kind(objects, "ConfigMap"):
            for key, value in config_map.get("data", {}).items():
                where = f"{target}: ConfigMap {config_map['metadata']['name']}: {key}"
                assert not SECRET_LOOKING_KEY.search(key), where
                assert not CREDENTIALS_IN_URL.search(str(value)), where


def test_keda_reads_lag_as_each_services_own_user_over_sasl_ssl(production: list[Object]) -> None:
    settings = config(production)
    authentications = {obj["metadata"]["name"]: obj for obj in of_kind(production, "TriggerAuthentication")}
    scaled_objects = of_kind(production, "ScaledObject")
    assert scaled_objects
    for scaled in scaled_objects:
        service = scaled["spec"]["scaleTargetRef"]["name"]
        deployment = named(production, "Deployment", service)
        for trigger in scaled["spec"]["triggers"]:
            metadata = trigger["metadata"]
            assert metadata["bootstrapServers"] == settings["KAFKA_BOOTSTRAP_SERVERS"], service
            assert (metadata["sasl"], metadata["tls"]) == ("scram_sha512", "enable"), service
            authentication = authentications[trigger["authenticationRef"]["name"]]["spec"]
            (username,) = authentication["env"]
            secrets = {ref["parameter"]: (ref["name"], ref["key"]) for ref in authentication["secretTargetRef"]}
            # The user name KEDA reads is the one the service's own container logs in with.
            assert username["parameter"] == "username" and username["containerName"] == service
            container = main_container(deployment)
            assert env_of(container)[username["name"]]["value"] == f"cme-{service}"
            assert secrets == {"password": (f"cme-{service}", "password"), "ca": ("cme-cluster-ca-cert", "ca.crt")}


def test_overlays_that_autoscale_also_secure_transport() -> None:
    for name, overlay in overlays().items():
        used = overlay_components(overlay)
        if "keda-autoscaling" in used:
            assert "secure-transport" in used, name


def test_network_policies_reach_kafka_on_the_listener_the_services_use(production: list[Object]) -> None:
    kafka_port = int(config(production)["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])
    for policy in of_kind(production, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            to_kafka = any(
                peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "kafka"
                for peer in rule["to"]
            )
            if to_kafka:
                assert [port["port"] for port in rule["ports"]] == [kafka_port], policy["metadata"]["name"]


def test_the_local_overlay_stays_plaintext_for_a_one_machine_cluster(
    rendered_targets: dict[str, list[Object]],
) -> None:
    local = dict(named(rendered_targets["overlays/local"], "ConfigMap", "cme-config")["data"])

    assert "CME_KAFKA_SECURITY_PROTOCOL" not in local
    assert local["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9092")
