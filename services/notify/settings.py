import json
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator

from cme_runtime.settings import ServiceSettings

# Template ids of the development GOV.UK Notify stand-in (stand_ins/gov_notify/templates.py); production sets the
# ids of the council's own templates in CME_GOV_NOTIFY_TEMPLATES (JSON: {"<purpose>:<channel>": "<template id>"}).
DEVELOPMENT_TEMPLATES = {
    "social_worker_case_opened:email": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1001",
    "social_worker_case_updated:email": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1002",
    "family_front_door_referral:email": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c1003",
    "social_worker_case_opened:letter": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2001",
    "social_worker_case_updated:letter": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2002",
    "family_front_door_referral:letter": "8f3b5a1e-6a52-4c1e-9d3e-2f0a3b7c2003",
}


class ExchangePartner(BaseModel):
    """How to reach one partner authority: its topic on the shared Kafka, or its HTTPS endpoint."""

    transport: Literal["kafka", "https"]
    url: str | None = Field(default=None, description="For https: https://.../exchange/v1/messages")

    @model_validator(mode="after")
    def _https_needs_a_url(self) -> Self:
        # Caught at start-up, not as a failed referral days later.
        if self.transport == "https" and not self.url:
            raise ValueError("an https exchange partner needs its url")
        return self


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
    authority_name: str = "Worcestershire County Council"
    family_front_door_email: str | None = Field(
        default=None, description="Where safeguarding referrals go (policy §11.1); none configured sends none"
    )
    gov_notify_api_key: SecretStr | None = Field(
        default=None, description="GOV.UK Notify API key ({key_name}-{service_id}-{secret}); none: nothing is sent"
    )
    gov_notify_base_url: str = "https://api.notifications.service.gov.uk"
    gov_notify_callback_token: SecretStr | None = Field(
        default=None, description="Bearer token Notify presents on delivery receipts; none: receipts are refused"
    )
    gov_notify_templates: dict[str, str] = Field(default_factory=lambda: dict(DEVELOPMENT_TEMPLATES))
    gov_notify_timeout_seconds: float = 10.0
    send_max_attempts: int = 5
    send_initial_wait_seconds: float = 1.0
    send_max_wait_seconds: float = 30.0
    send_lease_seconds: float = 300.0
    send_poll_seconds: float = 1.0
    # The signed cross-LA exchange (issue 9).
    home_la_code: str = Field(default="885", pattern=r"^[0-9]{3}$", description="This authority's DfE LA code")
    exchange_signing_key: SecretStr | None = Field(
        default=None, description="Hex of this authority's 32-byte Ed25519 private key; none: the exchange is off"
    )
    exchange_trust_registry: str | None = Field(
        default=None, description="The partners' public keys as JSON (TrustRegistry.from_json), or @/path/to/file"
    )
    exchange_partners: dict[str, ExchangePartner] = Field(
        default_factory=dict, description='Per partner LA code: {"transport": "kafka"} or {"transport": "https", ...}'
    )
    exchange_topic_prefix: str = Field(
        default="",
        description="Prefix on exchange topics only: partners share them, so CME_TOPIC_PREFIX does not apply",
    )
    exchange_ack_school_days: int = Field(default=5, ge=1, description="School days a partner has to acknowledge")
    exchange_timeout_seconds: float = 10.0
    exchange_max_attempts: int = 5
    exchange_chase_poll_seconds: float = 60.0
    team_name: str = "Children Missing Education team"
    team_email: str = "cme@example.invalid"
    team_phone: str | None = None
    intake_api_url: str = Field(
        default="http://127.0.0.1:8001", description="Intake's internal API (CME_INTAKE_API_URL)"
    )
    internal_api_token: SecretStr | None = Field(
        default=None, description="The service token of the suite's internal APIs (CME_INTERNAL_API_TOKEN)"
    )

    def trust_registry_document(self) -> dict[str, Any]:
        """The registry's JSON, read from the file when the setting is `@/path`; empty when none is configured."""
        text = self.exchange_trust_registry
        if not text:
            return {"authorities": {}}
        if text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8")
        document: dict[str, Any] = json.loads(text)
        return document
