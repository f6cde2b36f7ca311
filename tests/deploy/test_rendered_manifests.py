"""Issue 11: every kustomization rendered by the real kustomize, and every rendered object validated.

Rendered: each overlay, the base alone, and the base with each component. Validated: core kinds against the
Kubernetes OpenAPI schemas (kubernetes-validate, strict), Strimzi and KEDA kinds against their published CRDs
(strict), and every pod template against the Pod Security "restricted" level with Kubernetes' own evaluator. Then
the same checks are shown to fail on copies of the tree broken on purpose.
"""

import re
from pathlib import Path

import kubernetes_validate
import pytest

from cme_cli.suite import SERVICES
from tests.deploy.rendering import (
    K8S,
    KUBERNETES_VERSION,
    POD_OWNER_KINDS,
    Object,
    SchemaValidator,
    Tools,
    components,
    copy_tree,
    named,
    of_kind,
    overlay_components,
    overlays,
    pod_security,
    pod_template,
    render,
)

# The first test to run installs kustomize, the Pod Security evaluator and the CRDs into the cache: on a new
# machine that is a few minutes of Go builds and Maven downloads, once.
pytestmark = pytest.mark.timeout(1200)

TARGET_NAMES = [*overlays(), "base", *(f"base+{name}" for name in components())]


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_every_kustomization_renders_into_the_suites_namespace(
    target: str, rendered_targets: dict[str, list[Object]]
) -> None:
    objects = rendered_targets[target]

    assert objects
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == "cme", f"{obj['kind']} {obj['metadata']['name']}"


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_every_rendered_object_matches_its_schema(
    target: str, rendered_targets: dict[str, list[Object]], schema_validator: SchemaValidator
) -> None:
    assert schema_validator.all_errors(rendered_targets[target]) == []


@pytest.mark.parametrize("target", TARGET_NAMES)
def test_every_pod_meets_the_restricted_pod_security_standard(
    target: str, rendered_targets: dict[str, list[Object]], tools: Tools
) -> None:
    objects = rendered_targets[target]
    verdicts = pod_security(tools.podsecurity, objects)

    # One verdict per pod template: none skipped by the evaluator.
    assert sorted((verdict.kind, verdict.name) for verdict in verdicts) == sorted(
        (obj["kind"], obj["metadata"]["name"]) for obj in objects if obj["kind"] in POD_OWNER_KINDS
    )
    assert [verdict for verdict in verdicts if not verdict.allowed] == []


def test_the_overlays_use_every_component() -> None:
    used = {name for overlay in overlays().values() for name in overlay_components(overlay)}

    assert used == set(components())


def test_the_schemas_are_the_pinned_releases(schema_validator: SchemaValidator, tools: Tools) -> None:
    custom = schema_validator.custom_resources

    assert {
        ("kafka.strimzi.io/v1", "KafkaTopic"),
        ("kafka.strimzi.io/v1", "KafkaUser"),
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("keda.sh/v1alpha1", "TriggerAuthentication"),
    } <= set(custom)
    # The cache directory names the versions scripts/crd_schemas.sh pins.
    assert re.fullmatch(r"strimzi-\d+\.\d+\.\d+-keda-v\d+\.\d+\.\d+", tools.crd_directory.name)
    assert KUBERNETES_VERSION == "1.37"


# Broken on purpose: the same checks must fail.


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_a_wrong_field_in_a_scaled_object_fails_validation(
    tmp_path: Path, tools: Tools, schema_validator: SchemaValidator
) -> None:
    k8s = copy_tree(tmp_path)
    # `maxReplicas` is the HorizontalPodAutoscaler's word; KEDA's is `maxReplicaCount`.
    replace_once(k8s / "components/keda-autoscaling/scaled-objects.yaml", "maxReplicaCount: 6", "maxReplicas: 6")

    objects = render(tools.kustomize, k8s / "overlays/production")
    errors = schema_validator.all_errors(objects)

    assert any(error.startswith("ScaledObject intake: $.spec:") and "'maxReplicas'" in error for error in errors)
    assert all(error.startswith("ScaledObject intake:") for error in errors), errors


def test_a_mistyped_kafka_trigger_field_fails_validation(
    tmp_path: Path, tools: Tools, schema_validator: SchemaValidator
) -> None:
    k8s = copy_tree(tmp_path)
    replace_once(k8s / "components/keda-autoscaling/trigger-authentications.yaml", "secretTargetRef:", "secretRef:")

    errors = schema_validator.all_errors(render(tools.kustomize, k8s / "overlays/production"))

    assert any(error.startswith("TriggerAuthentication kafka-intake:") and "'secretRef'" in error for error in errors)


def test_a_wrong_acl_operation_in_a_kafka_user_fails_validation(
    tmp_path: Path, tools: Tools, schema_validator: SchemaValidator
) -> None:
    k8s = copy_tree(tmp_path)
    replace_once(k8s / "base/kafka-users.yaml", "      - Read\n", "      - ReadEverything\n")

    errors = schema_validator.all_errors(render(tools.kustomize, k8s / "overlays/local"))

    assert any(error.startswith("KafkaUser cme-intake: $.spec.authorization.acls[0]") for error in errors), errors


def test_a_wrong_field_in_a_deployment_fails_validation(
    tmp_path: Path, tools: Tools, schema_validator: SchemaValidator
) -> None:
    k8s = copy_tree(tmp_path)
    replace_once(k8s / "base/notify.yaml", "  revisionHistoryLimit: 5\n", "  revisionHistory: 5\n")

    errors = schema_validator.all_errors(render(tools.kustomize, k8s / "overlays/local"))

    assert len(errors) == 1
    assert errors[0].startswith("Deployment notify:") and "'revisionHistory'" in errors[0]


def test_an_unknown_kind_fails_validation(tmp_path: Path, tools: Tools, schema_validator: SchemaValidator) -> None:
    k8s = copy_tree(tmp_path)
    replace_once(k8s / "components/keda-autoscaling/scaled-objects.yaml", "kind: ScaledObject", "kind: ScaledObjekt")

    errors = schema_validator.all_errors(render(tools.kustomize, k8s / "overlays/production"))

    assert any(error.startswith("ScaledObjekt intake:") for error in errors), errors


def test_a_pod_without_seccomp_fails_the_restricted_standard(tmp_path: Path, tools: Tools) -> None:
    k8s = copy_tree(tmp_path)
    triage = k8s / "base/triage.yaml"
    # Both places a seccomp profile can be set: the pod and each of its containers.
    triage.write_text(re.sub(r"\n *seccompProfile:\n *type: RuntimeDefault", "", triage.read_text()))
    objects = render(tools.kustomize, k8s / "overlays/production")
    assert "seccompProfile" not in str(pod_template(named(objects, "Deployment", "triage")))

    verdicts = {(verdict.kind, verdict.name): verdict for verdict in pod_security(tools.podsecurity, objects)}

    rejected = [key for key, verdict in verdicts.items() if not verdict.allowed]
    assert rejected == [("Deployment", "triage")]
    assert verdicts[("Deployment", "triage")].reasons == ("seccompProfile",)


def test_a_privileged_init_container_fails_the_restricted_standard(tmp_path: Path, tools: Tools) -> None:
    k8s = copy_tree(tmp_path)
    replace_once(k8s / "base/casework.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")

    verdicts = pod_security(tools.podsecurity, render(tools.kustomize, k8s / "overlays/local"))

    assert [(verdict.name, verdict.reasons) for verdict in verdicts if not verdict.allowed] == [
        ("casework", ("allowPrivilegeEscalation != false",))
    ]


def test_the_copy_of_the_tree_is_valid_before_it_is_broken(
    tmp_path: Path, tools: Tools, schema_validator: SchemaValidator
) -> None:
    """The broken-copy tests prove something only if the unbroken copy passes the same checks."""
    objects = render(tools.kustomize, copy_tree(tmp_path) / "overlays/production")

    assert schema_validator.all_errors(objects) == []
    assert all(verdict.allowed for verdict in pod_security(tools.podsecurity, objects))
    assert len(of_kind(objects, "ScaledObject")) == len(SERVICES)  # one per consuming service
    assert K8S.is_dir()


def test_the_core_kinds_also_pass_kubernetes_validate_itself(
    production: list[Object], schema_validator: SchemaValidator
) -> None:
    """rendering.py applies kubernetes-validate's schemas itself (once per kind, every error reported); the
    package's own entry point must agree on every core object of the production overlay."""
    core = [obj for obj in production if (obj["apiVersion"], obj["kind"]) not in schema_validator.custom_resources]
    assert len(core) > 40
    for obj in core:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
