"""The processes that make up the suite, their ports and their environment."""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from cme_runtime.suite import SERVICE_NAMES

SERVICES = SERVICE_NAMES


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


DEFAULT_PORTS = {"casework": 8000, "intake": 8001, "triage": 8002, "review": 8003, "notify": 8004, "relay": 8005}


def configured_ports(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """The default ports, each overridable with CME_<NAME>_PORT (e.g. CME_CASEWORK_PORT=9000)."""
    env = os.environ if env is None else env
    return {name: int(env.get(f"CME_{name.upper()}_PORT", port)) for name, port in DEFAULT_PORTS.items()}


def suite_specs(env: Mapping[str, str], ports: Mapping[str, int] = DEFAULT_PORTS) -> dict[str, ProcessSpec]:
    """One process per service plus the outbox relay, all sharing `env` (Kafka, database, topic prefix)."""
    specs = {
        name: ProcessSpec(
            name, (sys.executable, "-m", f"services.{name}"), ports[name], {**env, "CME_HTTP_PORT": str(ports[name])}
        )
        for name in SERVICES
    }
    specs["relay"] = ProcessSpec(
        "relay",
        (sys.executable, "-m", "cme_runtime.relay_main"),
        ports["relay"],
        {**env, "CME_HTTP_PORT": str(ports["relay"])},
    )
    return specs


def base_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    environment.update(overrides or {})
    return environment
