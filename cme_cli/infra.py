"""Local Kafka and PostgreSQL for `cme up`, unless the environment names external ones."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Throwaway development state (broker data, local cluster, logs), per user, like the scripts use.
STATE_DIR = Path(os.environ.get("CME_STATE_DIR", f"/tmp/cme-{os.getuid()}"))  # noqa: S108


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    database_url: str
    provisioned_locally: bool


def _script(name: str, *args: str) -> str:
    result = subprocess.run([str(ROOT / "scripts" / name), *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def ensure_infrastructure() -> Endpoints:
    kafka, database = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and database:
        return Endpoints(kafka, database, provisioned_locally=False)
    subprocess.run([str(ROOT / "scripts/kafka.sh"), "start"], check=True)
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start"], check=True)
    return Endpoints(
        kafka or _script("kafka.sh", "env").split("=", 1)[1],
        database or _script("postgres.sh", "env").split("=", 1)[1],
        provisioned_locally=True,
    )


def stop_local_infrastructure() -> None:
    subprocess.run([str(ROOT / "scripts/kafka.sh"), "stop"], check=False)
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop"], check=False)
