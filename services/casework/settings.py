from pydantic import Field

from cme_runtime.settings import ServiceSettings


class CaseworkSettings(ServiceSettings):
    service_name: str = "casework"
    http_port: int = 8000
    authority_name: str = "Worcestershire County Council"
    service_title: str = "Children missing education"
    session_cookie_secure: bool = Field(
        default=True, description="Secure, __Host- cookies. Only a developer on plain http://localhost turns it off"
    )
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    api_tokens: dict[str, str] = Field(
        default={}, description="Bearer tokens for the JSON API, mapped to the user id they act as"
    )
