from pydantic import Field, SecretStr

from cme_runtime.settings import ServiceSettings
from services.casework.domain.access import Role


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
    # OpenID Connect sign-in (authorization code with PKCE), e.g. Entra ID: set the issuer, client id and redirect
    # URL (and the secret, from CME_OIDC_CLIENT_SECRET) to show "Sign in with your council account".
    oidc_issuer: str | None = Field(default=None, description="e.g. https://login.microsoftonline.com/<tenant>/v2.0")
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = Field(default=None, description="https://<host>/sign-in/oidc/callback")
    oidc_scopes: str = "openid profile email"
    oidc_roles_claim: str = Field(default="roles", description="The ID token claim holding the user's app roles")
    oidc_role_map: dict[str, Role] = Field(
        default={role.value: role for role in Role},
        description="Role claim value -> role; a user with no mapped value is refused",
    )
    oidc_team_claim: str | None = Field(default=None, description="An ID token claim naming the officer's team")
    # Missing Mondays: the officers' UI serves the meeting's pages and asks review's internal API for the forms.
    review_api_url: str = Field(
        default="http://127.0.0.1:8003", description="Review's internal API (CME_REVIEW_API_URL)"
    )
    # Officer-entered referrals, match reviews and a case's documents: the officers' UI asks intake's internal API.
    intake_api_url: str = Field(
        default="http://127.0.0.1:8001", description="Intake's internal API (CME_INTAKE_API_URL)"
    )
    # The Reports pages: the weekly pack is made by the reporting service and fetched from its internal API.
    reporting_api_url: str = Field(
        default="http://127.0.0.1:8007", description="Reporting's internal API (CME_REPORTING_API_URL)"
    )
    # The Exchange page: the cross-LA exchange's traffic and refusals, from notify's internal API.
    notify_api_url: str = Field(
        default="http://127.0.0.1:8004", description="Notify's internal API (CME_NOTIFY_API_URL)"
    )
    # This authority's DfE LA code: an officer cannot refer a child to it through the exchange (CME_HOME_LA_CODE).
    home_la_code: str = Field(default="885", pattern=r"^[0-9]{3}$", description="This authority's DfE LA code")
    internal_api_token: SecretStr | None = Field(
        default=None,
        description="The service token review's and intake's internal APIs expect (CME_INTERNAL_API_TOKEN)",
    )
