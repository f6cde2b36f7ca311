"""import-linter's contracts hold for the code, and would catch a service importing another."""

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


def test_the_contracts_would_fail_if_a_service_imported_another(tmp_path: Path) -> None:
    for package in ("services", "contracts", "cme_runtime", "cme_cli"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "services" / "intake" / "leak.py").write_text(
        textwrap.dedent("""\
            from services.triage.domain import rules  # a service reaching into another
        """)
    )
    (tmp_path / "services" / "review" / "domain" / "leak.py").write_text("import sqlalchemy\n")

    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
    )

    assert result.returncode != 0
    assert "Services never import each other BROKEN" in result.stdout
    assert "Domain code is pure: no database, bus or settings frameworks BROKEN" in result.stdout
