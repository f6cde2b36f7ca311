from pydantic import Field

from cme_runtime.settings import ServiceSettings


class CaseworkSettings(ServiceSettings):
    service_name: str = "casework"
    http_port: int = 8000
    api_tokens: dict[str, str] = Field(
        default={}, description="Bearer tokens for the JSON API, mapped to the user id they act as"
    )
