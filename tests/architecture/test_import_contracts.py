"""import-linter's contracts hold for the code, and would catch a service importing another or an arrow running
back up a service's layers."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def test_the_import_contracts_hold() -> None:
    result = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _copy_of_the_code(tmp_path: Path) -> Path:
    for package in ("services", "contracts", "cme_runtime", "cme_cli"):
        ignored = shutil.ignore_patterns("__pycache__", "node_modules")
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignored)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tree), "PATH": str(Path(sys.executable).parent)},
    )


def test_the_contracts_would_fail_if_a_service_imported_another(tmp_path: Path) -> None:
    _copy_of_the_code(tmp_path)
    (tmp_path / "services" / "intake" / "leak.py").write_text(
        textwrap.dedent("""\
            from services.triage.domain import rules  # a service reaching into another
        """)
    )
    (tmp_path / "services" / "review" / "domain" / "leak.py").write_text("import sqlalchemy\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "Services never import each other BROKEN" in result.stdout
    assert "Domain code is pure: no database, bus or settings frameworks BROKEN" in result.stdout


def test_the_layer_contracts_would_fail_on_an_import_back_up_a_service(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    # A repository that calls a use case, and a use case that reaches for a web page: both arrows run upwards.
    (tree / "services" / "intake" / "adapters" / "leak.py").write_text(
        "from services.intake.service_layer import submissions\n"
    )
    (tree / "services" / "casework" / "service_layer" / "leak.py").write_text(
        "from services.casework.entrypoints.web import ui\n"
    )

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "Intake layers, top down BROKEN" in result.stdout
    assert "Casework layers, top down BROKEN" in result.stdout
    assert "Triage layers, top down KEPT" in result.stdout


def test_the_port_contract_would_fail_if_a_use_case_wrote_sql(tmp_path: Path) -> None:
    tree = _copy_of_the_code(tmp_path)
    (tree / "services" / "review" / "service_layer" / "leak.py").write_text("from sqlalchemy import select\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "Service layers talk to ports, not to SQL or the bus BROKEN" in result.stdout
