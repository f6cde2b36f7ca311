from pydantic import Field, SecretStr

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
