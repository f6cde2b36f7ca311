from pydantic import Field, SecretStr

from cme_runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8007
    internal_api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token casework's officers' UI presents to reporting's internal API "
        "(CME_INTERNAL_API_TOKEN)",
    )
    la_code: str = Field(
        default="885", pattern=r"^\d{3}$", description="The authority's DfE LA code, as the termly return names it"
    )
    rebuild_batch_size: int = Field(
        default=2_000, ge=1, description="Events applied per transaction while a rebuild replays the topics"
    )
