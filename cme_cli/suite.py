"""The processes that make up the suite, their ports and their environment."""

import os
import secrets
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


DEFAULT_PORTS = {
    "casework": 8000,
    "intake": 8001,
    "triage": 8002,
    "review": 8003,
    "notify": 8004,
    "relay": 8005,
    "reporting": 8007,
    # Development and tests only: the local GOV.UK Notify stand-in notify sends through (production: real Notify).
    "gov_notify": 8006,
}


def configured_ports(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """The default ports, each overridable with CME_<NAME>_PORT (e.g. CME_CASEWORK_PORT=9000)."""
    env = os.environ if env is None else env
    return {name: int(env.get(f"CME_{name.upper()}_PORT", port)) for name, port in DEFAULT_PORTS.items()}


def suite_specs(env: Mapping[str, str], ports: Mapping[str, int] = DEFAULT_PORTS) -> dict[str, ProcessSpec]:
    """One process per service plus the outbox relay, all sharing `env` (Kafka, database, topic prefix), and the
    GOV.UK Notify stand-in that notify sends through, delivery receipts coming back to notify."""
    env = {**_gov_notify_stand_in(ports), **env}
    env = {**_internal_apis(ports), **env}
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
    specs["gov_notify"] = ProcessSpec(
        "gov_notify",
        (sys.executable, "-m", "stand_ins.gov_notify"),
        ports["gov_notify"],
        {**env, "CME_HTTP_PORT": str(ports["gov_notify"])},
    )
    return specs


def _gov_notify_stand_in(ports: Mapping[str, int]) -> dict[str, str]:
    """Notify's settings for the stand-in (the same variables configure the stand-in); the caller may override."""
    from stand_ins.gov_notify.app import DEVELOPMENT_API_KEY  # noqa: PLC0415  (development only)

    return {
        "CME_GOV_NOTIFY_API_KEY": DEVELOPMENT_API_KEY,
        "CME_GOV_NOTIFY_BASE_URL": f"http://127.0.0.1:{ports['gov_notify']}",
        "CME_GOV_NOTIFY_CALLBACK_URL": f"http://127.0.0.1:{ports['notify']}/notify/v1/delivery-receipts",
        "CME_GOV_NOTIFY_CALLBACK_TOKEN": "development-callback-token",
        "CME_FAMILY_FRONT_DOOR_EMAIL": "family.front.door@example.org",
    }


def base_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    environment.update(overrides or {})
    return environment


def _internal_apis(ports: Mapping[str, int]) -> dict[str, str]:
    """Casework's officers' UI reaches review's internal API (the Missing Mondays forms) and intake's (officer-entered
    referrals, match reviews, documents) with a service token: one per run unless CME_INTERNAL_API_TOKEN is set."""
    return {
        "CME_REVIEW_API_URL": f"http://127.0.0.1:{ports['review']}",
        "CME_INTAKE_API_URL": f"http://127.0.0.1:{ports['intake']}",
        "CME_REPORTING_API_URL": f"http://127.0.0.1:{ports['reporting']}",
        "CME_INTERNAL_API_TOKEN": secrets.token_urlsafe(32),
    }
