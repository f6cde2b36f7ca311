"""The processes that make up the suite, their ports and their environment."""

import json
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
    # Development and tests only: a partner authority (LA 886) at the other end of the signed exchange.
    "partner_authority": 8008,
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
    env = {**_partner_authority_stand_in(ports, env.get("CME_HOME_LA_CODE", "885")), **env}
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
    specs["partner_authority"] = ProcessSpec(
        "partner_authority",
        (sys.executable, "-m", "stand_ins.partner_authority"),
        ports["partner_authority"],
        {**env, "CME_HTTP_PORT": str(ports["partner_authority"])},
    )
    return specs


def _partner_authority_stand_in(ports: Mapping[str, int], home_la_code: str) -> dict[str, str]:
    """The exchange for development: a key pair for this authority and one for the stand-in partner (LA 886), new
    each run, both in one trust registry, the partner reached over HTTPS and answering to notify's webhook.
    Production keeps notify's private key in a Secret and the registry in a ConfigMap (deploy/)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    partner_la_code = "886" if home_la_code != "886" else "887"
    home, partner = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    registry = {
        "authorities": {
            la_code: [
                {"public_key": key.public_key().public_bytes_raw().hex(), "valid_from": "2020-01-01T00:00:00+00:00"}
            ]
            for la_code, key in ((home_la_code, home), (partner_la_code, partner))
        }
    }
    partner_url = f"http://127.0.0.1:{ports['partner_authority']}/exchange/v1/messages"
    return {
        "CME_EXCHANGE_SIGNING_KEY": home.private_bytes_raw().hex(),
        "CME_EXCHANGE_TRUST_REGISTRY": json.dumps(registry),
        "CME_EXCHANGE_PARTNERS": json.dumps({partner_la_code: {"transport": "https", "url": partner_url}}),
        "CME_PARTNER_LA_CODE": partner_la_code,
        "CME_PARTNER_SIGNING_KEY": partner.private_bytes_raw().hex(),
        "CME_PARTNER_REPLY_URLS": json.dumps(
            {home_la_code: f"http://127.0.0.1:{ports['notify']}/exchange/v1/messages"}
        ),
    }


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
    """Casework's officers' UI reaches review's internal API (the Missing Mondays forms), intake's (officer-entered
    referrals, match reviews, documents), reporting's (the pack) and notify's (the exchange's traffic) with a service
    token: one per run unless CME_INTERNAL_API_TOKEN is set."""
    return {
        "CME_REVIEW_API_URL": f"http://127.0.0.1:{ports['review']}",
        "CME_INTAKE_API_URL": f"http://127.0.0.1:{ports['intake']}",
        "CME_REPORTING_API_URL": f"http://127.0.0.1:{ports['reporting']}",
        "CME_NOTIFY_API_URL": f"http://127.0.0.1:{ports['notify']}",
        "CME_INTERNAL_API_TOKEN": secrets.token_urlsafe(32),
    }
