"""The real tools the deployment tests render and validate with, installed once into the project's cache by the
project's own scripts (so `./dev test` needs no extra step): kustomize, the Pod Security evaluator and the CRDs."""

from pathlib import Path

import pytest

from tests.deploy.rendering import Object, SchemaValidator, Tools, install_tools, render, render_targets


@pytest.fixture(scope="session")
def tools() -> Tools:
    return install_tools()


@pytest.fixture(scope="session")
def schema_validator(tools: Tools) -> SchemaValidator:
    return SchemaValidator(tools.crd_directory)


@pytest.fixture(scope="session")
def targets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return render_targets(tmp_path_factory.mktemp("kustomizations"))


@pytest.fixture(scope="session")
def rendered_targets(tools: Tools, targets: dict[str, Path]) -> dict[str, list[Object]]:
    return {name: render(tools.kustomize, directory) for name, directory in targets.items()}


@pytest.fixture(scope="session")
def production(rendered_targets: dict[str, list[Object]]) -> list[Object]:
    return rendered_targets["overlays/production"]
