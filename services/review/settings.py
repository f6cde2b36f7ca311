from pydantic import Field, SecretStr

from cme_runtime.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    service_name: str = "review"
    http_port: int = 8003
    meeting_weekday: int = Field(default=0, ge=0, le=6, description="Missing Mondays: 0 is Monday ... 6 Sunday")
    recheck_interval_days: int = Field(default=28, ge=1, description="Policy §10.5: the lead officer's re-checks")
    internal_api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token casework's officers' UI presents to review's internal API (CME_INTERNAL_API_TOKEN)",
    )
