"""Render the Kubernetes manifests with the real kustomize and validate what it renders with real schemas.

- kustomize: `sigs.k8s.io/kustomize/kustomize/v5` at the version scripts/kustomize.sh pins, built from the Go
  module proxy into the project's cache.
- Core Kubernetes kinds: the OpenAPI schemas of Kubernetes KUBERNETES_VERSION as the `kubernetes-validate` package
  ships them (its strict variant: an unknown field is an error, as `kubectl apply`'s strict field validation),
  looked up and applied the way its `validate()` does.
- Strimzi and KEDA kinds: the operators' published CRDs (scripts/crd_schemas.sh says where they come from), their
  `openAPIV3Schema` made strict the same way (an object with declared properties takes no other field unless the
  CRD preserves unknown fields there).
- Pod Security: the "restricted" level, evaluated by Kubernetes' own PodSecurity admission code
  (k8s.io/pod-security-admission, scripts/podsecurity/).
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCRIPTS = ROOT / "scripts"

# The newest Kubernetes the pinned kubernetes-validate ships schemas for, and the release of
# k8s.io/pod-security-admission in scripts/podsecurity/go.mod: one Kubernetes version for every check.
KUBERNETES_VERSION = "1.37"
POD_SECURITY_LEVEL = "restricted"
POD_OWNER_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})

Object = dict[str, Any]


@dataclass(frozen=True)
class Tools:
    kustomize: Path
    podsecurity: Path
    crd_directory: Path


def _script_output(script: str) -> Path:
    """Run an installer script (which installs once into the cache) and return the path it prints last."""
    finished = subprocess.run([str(SCRIPTS / script)], cwd=ROOT, check=True, capture_output=True, text=True)
    return Path(finished.stdout.strip().splitlines()[-1])


def install_tools() -> Tools:
    return Tools(
        kustomize=_script_output("kustomize.sh"),
        podsecurity=_script_output("podsecurity.sh"),
        crd_directory=_script_output("crd_schemas.sh"),
    )


class RenderFailed(AssertionError):
    pass


def render(kustomize: Path, directory: Path) -> list[Object]:
    finished = subprocess.run([str(kustomize), "build", str(directory)], capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RenderFailed(f"kustomize build {directory} failed:\n{finished.stderr}")
    return [document for document in yaml.safe_load_all(finished.stdout) if document is not None]


# What to render: every overlay, and the base alone and with each component, so that a component that only renders
# in combination with the others (or breaks the base) is caught too.


def overlays(k8s: Path = K8S) -> dict[str, Path]:
    return {f"overlays/{path.name}": path for path in sorted((k8s / "overlays").iterdir()) if path.is_dir()}


def components(k8s: Path = K8S) -> dict[str, Path]:
    return {path.name: path for path in sorted((k8s / "components").iterdir()) if path.is_dir()}


def kustomization(directory: Path) -> Object:
    (body,) = [document for document in yaml.safe_load_all((directory / "kustomization.yaml").read_text()) if document]
    return dict(body)


def overlay_components(overlay: Path) -> set[str]:
    return {(overlay / entry).resolve().name for entry in kustomization(overlay).get("components", [])}


def write_combination(workspace: Path, name: str, k8s: Path, component_names: Iterable[str]) -> Path:
    """A kustomization in `workspace` of the base plus the named components (referenced, not copied)."""
    directory = workspace / name
    directory.mkdir(parents=True, exist_ok=True)
    body = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # As the overlays do: a component's objects take the namespace of the kustomization that includes it.
        "namespace": kustomization(k8s / "base")["namespace"],
        # kustomize refuses absolute paths; relative ones may leave the kustomization's root for directories.
        "resources": [os.path.relpath(k8s / "base", directory)],
        "components": [os.path.relpath(k8s / "components" / each, directory) for each in component_names],
    }
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    return directory


def render_targets(workspace: Path, k8s: Path = K8S) -> dict[str, Path]:
    targets = dict(overlays(k8s))
    targets["base"] = write_combination(workspace, "base", k8s, [])
    for name in components(k8s):
        targets[f"base+{name}"] = write_combination(workspace, f"base-with-{name}", k8s, [name])
    return targets


def copy_tree(destination: Path) -> Path:
    """A copy of deploy/k8s to break on purpose."""
    copied = destination / "k8s"
    shutil.copytree(K8S, copied)
    return copied


# Schemas


def _strict(schema: Any) -> Any:
    """A CRD's structural schema as a JSON Schema that rejects unknown fields, the way the API server's strict
    field validation (kubectl's default) does. Descriptions are dropped: they only slow validation down."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key == "properties":
            strict[key] = {name: _strict(child) for name, child in value.items()}
        else:
            strict[key] = _strict(value)
    if schema.get("x-kubernetes-int-or-string"):
        strict.pop("type", None)
        strict.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("nullable") and "type" in strict:
        strict["type"] = [strict["type"], "null"]
    preserves_unknown = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if strict.get("type") == "object" and "additionalProperties" not in strict and not preserves_unknown:
        strict["additionalProperties"] = False
    return strict


def _kubernetes_schema_file(name: str) -> Any:
    """A file of the strict schemas kubernetes-validate ships for KUBERNETES_VERSION."""
    directory = (
        resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}.0-local-strict"
    )
    return directory / name


@cache
def _kubernetes_definitions() -> Object:
    """Every definition of the Kubernetes API (ObjectMeta among them), as kubernetes-validate ships them."""
    return dict(json.loads(_kubernetes_schema_file("_definitions.json").read_text()))


@cache
def _kubernetes_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """What `kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)` checks an object against, built
    once per kind (that function re-reads the definitions for every object) and reporting every error."""
    # The package's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_file = _kubernetes_schema_file(f"{kind.lower()}-{group_version}.json")
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text())
    registry: Registry[Any] = Resource.from_contents(schema) @ (
        Resource.from_contents(_kubernetes_definitions()) @ Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


@dataclass(frozen=True)
class CustomResourceSchema:
    group: str
    version: str
    kind: str
    source: Path
    validator: jsonschema.protocols.Validator


def load_crds(directory: Path) -> dict[tuple[str, str], CustomResourceSchema]:
    """(apiVersion, kind) -> the served version's schema, for every CRD file in `directory`."""
    definitions = _kubernetes_definitions()
    object_meta = {**definitions, "$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    schemas: dict[tuple[str, str], CustomResourceSchema] = {}
    for path in sorted(directory.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            schema = _strict(version["schema"]["openAPIV3Schema"])
            # A CRD's schema leaves metadata open (`type: object`); the API server checks it as ObjectMeta.
            schema["properties"]["metadata"] = object_meta
            jsonschema.Draft202012Validator.check_schema(schema)
            api_version = f"{spec['group']}/{version['name']}"
            schemas[(api_version, spec["names"]["kind"])] = CustomResourceSchema(
                spec["group"], version["name"], spec["names"]["kind"], path, jsonschema.Draft202012Validator(schema)
            )
    return schemas


def describe(obj: Object) -> str:
    return f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}"


class SchemaValidator:
    def __init__(self, crd_directory: Path) -> None:
        self.crd_directory = crd_directory

    @cached_property
    def custom_resources(self) -> dict[tuple[str, str], CustomResourceSchema]:
        return load_crds(self.crd_directory)

    def errors(self, obj: Object) -> list[str]:
        """Every schema violation of one object, each as `Kind name: path: message`; empty when it is valid."""
        custom = self.custom_resources.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
        if custom is not None:
            return [
                f"{describe(obj)}: {error.json_path}: {error.message}"
                for error in sorted(custom.validator.iter_errors(obj), key=lambda error: error.json_path)
            ]
        core = _kubernetes_validator(str(obj.get("apiVersion")), str(obj.get("kind")))
        if core is None:
            # No schema is a failure too: an unknown kind or a mistyped apiVersion would otherwise pass unchecked.
            return [f"{describe(obj)}: no schema for {obj.get('apiVersion')} in Kubernetes {KUBERNETES_VERSION}"]
        return [
            f"{describe(obj)}: {error.json_path}: {error.message}"
            for error in sorted(core.iter_errors(obj), key=lambda error: error.json_path)
        ]

    def all_errors(self, objects: Iterable[Object]) -> list[str]:
        return [error for obj in objects for error in self.errors(obj)]


# Pod Security


@dataclass(frozen=True)
class PodSecurityVerdict:
    kind: str
    name: str
    allowed: bool
    reasons: tuple[str, ...]
    details: tuple[str, ...]


def pod_security(
    podsecurity: Path, objects: Iterable[Object], level: str = POD_SECURITY_LEVEL
) -> list[PodSecurityVerdict]:
    finished = subprocess.run(
        [str(podsecurity), f"--level={level}", f"--version=v{KUBERNETES_VERSION}"],
        input=json.dumps(list(objects)),
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode not in (0, 1):
        raise AssertionError(f"podsecurity failed ({finished.returncode}): {finished.stderr}")
    return [
        PodSecurityVerdict(line["kind"], line["name"], line["allowed"], tuple(line["reasons"]), tuple(line["details"]))
        for line in map(json.loads, finished.stdout.splitlines())
    ]


# Reading rendered objects


def of_kind(objects: Iterable[Object], kind: str) -> list[Object]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: Iterable[Object], kind: str, name: str) -> Object:
    (match,) = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    return match


def pod_template(obj: Object) -> Object:
    if obj["kind"] == "CronJob":
        return dict(obj["spec"]["jobTemplate"]["spec"]["template"])
    if obj["kind"] == "Pod":
        return obj
    return dict(obj["spec"]["template"])


def containers(obj: Object) -> Iterator[Object]:
    spec = pod_template(obj)["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def env_of(container: Mapping[str, Any]) -> dict[str, Object]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def mounted_files(obj: Object, container: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Path of each file a container sees from a Secret -> (Secret name, key)."""
    volumes = {volume["name"]: volume for volume in pod_template(obj)["spec"].get("volumes", [])}
    files: dict[str, tuple[str, str]] = {}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        for item in secret.get("items", []):
            files[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (secret["secretName"], item["key"])
    return files
