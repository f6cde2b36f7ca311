"""Autogenerate a service's next Alembic revision by diffing its tables against a migrated database.

DATABASE_URL=... uv run python scripts/new_migration.py <service> "<message>" [revision id]
"""

import importlib
import sys

from alembic import command

from cme_runtime.migrations import alembic_config
from cme_runtime.settings import ServiceSettings


def main(service: str, message: str, revision_id: str | None) -> None:
    app = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    settings_class = next(
        value
        for name, value in vars(settings_module).items()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    )
    command.revision(
        alembic_config(settings_class(), app.MIGRATIONS), message=message, autogenerate=True, rev_id=revision_id
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
