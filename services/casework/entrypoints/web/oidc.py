"""Sign-in with OpenID Connect (authorization code flow with PKCE), for Entra ID and other identity providers.

The provider's discovery document and signing keys are fetched with httpx and cached; the ID token is checked with
joserfc (signature, issuer, audience, expiry, nonce). Accounts are created or updated from the token's claims on
every sign-in, with roles taken from the roles claim only: a user with no role this service knows is refused.
"""

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import EmailInUse, UserAccount, identity_user_id
from services.casework.adapters.tables import oidc_sign_ins
from services.casework.domain.access import Role
from services.casework.entrypoints.web.auth_routes import begin_session, safe_next, signed_in_redirect
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.security import PUBLIC
from services.casework.entrypoints.web.templating import render
from services.casework.settings import CaseworkSettings

SIGN_IN_TIMEOUT = timedelta(minutes=10)
METADATA_TTL = 3600.0
# A token signed with a key we have not seen makes us fetch the keys again, but not more often than this.
KEYS_REFRESH_INTERVAL = 60.0
CLOCK_LEEWAY_SECONDS = 60
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str
    role_map: Mapping[str, Role]
    roles_claim: str = "roles"
    team_claim: str | None = None
    scopes: str = "openid profile email"

    @classmethod
    def from_settings(cls, settings: CaseworkSettings) -> "OidcConfig | None":
        """The configuration, or None when OpenID Connect sign-in is not set up."""
        if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_url):
            return None
        secret = settings.oidc_client_secret
        return cls(
            issuer=settings.oidc_issuer.rstrip("/"),
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            redirect_url=settings.oidc_redirect_url,
            role_map=dict(settings.oidc_role_map),
            roles_claim=settings.oidc_roles_claim,
            team_claim=settings.oidc_team_claim,
            scopes=settings.oidc_scopes,
        )


class OidcError(Exception):
    """Sign-in with the identity provider failed. The message is for logs and tests: it never holds a token or a
    claim value."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    signing_algorithms: frozenset[str]
    token_auth_methods: frozenset[str]


@dataclass(frozen=True)
class Identity:
    """Who the ID token says signed in, and the roles this service maps their claims to."""

    issuer: str
    subject: str
    email: str
    display_name: str
    roles: tuple[Role, ...]
    team_id: str | None


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _claim_values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


@dataclass
class OidcClient:
    config: OidcConfig
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 10.0
    _metadata: ProviderMetadata | None = field(default=None, init=False)
    _metadata_at: float = field(default=0.0, init=False)
    _keys: KeySet | None = field(default=None, init=False)
    _keys_at: float = field(default=-KEYS_REFRESH_INTERVAL, init=False)

    def _http(self, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.timeout, follow_redirects=False, auth=auth)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise OidcError(f"could not reach the identity provider ({type(error).__name__})") from None
        if response.status_code != 200:
            raise OidcError(f"the identity provider answered {response.status_code}")
        payload = response.json()
        if not isinstance(payload, dict):
            raise OidcError("the identity provider sent something other than a JSON object")
        return payload

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL:
            return self._metadata
        document = await self._get_json(f"{self.config.issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise OidcError("the discovery document names a different issuer")
        try:
            metadata = ProviderMetadata(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                signing_algorithms=frozenset(document.get("id_token_signing_alg_values_supported", ["RS256"])),
                token_auth_methods=frozenset(
                    document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
                ),
            )
        except KeyError as missing:
            raise OidcError(f"the discovery document lacks {missing}") from None
        self._metadata, self._metadata_at = metadata, time.monotonic()
        return metadata

    async def signing_keys(self, *, refresh: bool = False) -> KeySet:
        stale = refresh and time.monotonic() - self._keys_at >= KEYS_REFRESH_INTERVAL
        if self._keys is None or stale:
            metadata = await self.metadata()
            try:
                keys = KeySet.import_key_set(await self._get_json(metadata.jwks_uri))  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError):
                raise OidcError("the identity provider's key set could not be read") from None
            self._keys, self._keys_at = keys, time.monotonic()
        return self._keys

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        metadata = await self.metadata()
        query = urlencode({
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_url,
            "scope": self.config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        })
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return f"{metadata.authorization_endpoint}{separator}{query}"

    async def exchange_code(self, code: str, code_verifier: str) -> str:
        """Swap the authorization code for tokens at the token endpoint; returns the ID token."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_url,
            "code_verifier": code_verifier,
            "client_id": self.config.client_id,
        }
        auth: httpx.Auth | None = None
        if self.config.client_secret is not None:
            if "client_secret_basic" in metadata.token_auth_methods:
                auth = httpx.BasicAuth(self.config.client_id, self.config.client_secret)
            else:
                form["client_secret"] = self.config.client_secret
        try:
            async with self._http(auth) as client:
                response = await client.post(metadata.token_endpoint, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise OidcError(f"could not reach the token endpoint ({type(error).__name__})") from None
        if response.status_code != 200:
            raise OidcError(f"the token endpoint answered {response.status_code}")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token response holds no ID token")
        return id_token

    async def validate_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The token's claims, once its signature, issuer, audience, expiry and nonce all check out."""
        metadata = await self.metadata()
        algorithms = sorted(ASYMMETRIC_ALGORITHMS & metadata.signing_algorithms)
        if not algorithms:
            raise OidcError("the identity provider offers no signing algorithm this service accepts")
        try:
            try:
                token = jwt.decode(id_token, await self.signing_keys(), algorithms=algorithms)
            except InvalidKeyIdError:
                # The provider may have rotated its keys since we last fetched them.
                token = jwt.decode(id_token, await self.signing_keys(refresh=True), algorithms=algorithms)
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": metadata.issuer},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except JoseError as error:
            raise OidcError(f"the ID token was refused ({error.error})") from None
        claims = token.claims
        audiences = _claim_values(claims["aud"])
        # OpenID Connect Core 3.1.3.7: a token for several audiences must name us as the authorised party.
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise OidcError("the ID token was issued to another party")
        return claims

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        email = claims.get("email") or claims.get("preferred_username")
        if not isinstance(email, str) or "@" not in email:
            raise OidcError("the ID token holds no email address")
        name = claims.get("name")
        team = claims.get(self.config.team_claim) if self.config.team_claim else None
        roles = {self.config.role_map[value] for value in _claim_values(claims.get(self.config.roles_claim))
                 if value in self.config.role_map}
        return Identity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=email,
            display_name=name if isinstance(name, str) and name.strip() else email,
            roles=tuple(sorted(roles)),
            team_id=team if isinstance(team, str) and team else None,
        )


def oidc_cookie_name(secure: bool) -> str:
    return "__Host-cme-oidc" if secure else "cme-oidc"


class OidcSignIn:
    """The two sign-in routes and what happens between them."""

    def __init__(self, ui: Ui, client: OidcClient) -> None:
        self.ui = ui
        self.client = client
        self.cookie = oidc_cookie_name(ui.sessions.settings.cookie_secure)

    def refused(self, request: Request, status_code: int, heading: str, *paragraphs: str) -> Response:
        response = render(self.ui.templates, request, "sign_in_refused.html", status_code=status_code,
                          heading=heading, paragraphs=paragraphs)
        self.forget_state(response)
        return response

    def forget_state(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path="/", secure=self.ui.sessions.settings.cookie_secure, httponly=True,
                               samesite="lax")

    def expired(self, request: Request) -> Response:
        return self.refused(request, 400, "Your sign-in has expired", "Go back to the sign-in page and start again.")

    async def start(self, request: Request, next_path: str) -> Response:
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        try:
            location = await self.client.authorization_url(state=state, nonce=nonce, code_verifier=verifier)
        except OidcError:
            return self.refused(request, 502, "Sign-in with your council account is not working",
                                "Try again in a few minutes. If it still does not work, contact your IT service "
                                "desk.")
        async with self.ui.session_factory.begin() as session:
            await session.execute(
                delete(oidc_sign_ins).where(oidc_sign_ins.c.created_at < datetime.now(UTC) - SIGN_IN_TIMEOUT)
            )
            await session.execute(oidc_sign_ins.insert().values(
                state_hash=state_hash(state), nonce=nonce, code_verifier=verifier, next_path=safe_next(next_path)
            ))
        response = RedirectResponse(location, status_code=303)
        # Lax, not strict: the browser must send it on the identity provider's redirect back to us.
        response.set_cookie(self.cookie, state, httponly=True, secure=self.ui.sessions.settings.cookie_secure,
                            samesite="lax", path="/", max_age=int(SIGN_IN_TIMEOUT.total_seconds()))
        return response

    async def finish(self, request: Request, state: str, code: str, error: str) -> Response:
        expected_state = request.cookies.get(self.cookie, "")
        if not state or not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            return self.expired(request)
        async with self.ui.session_factory.begin() as session:
            # Deleted as it is read: a state is good for one sign-in only.
            pending = (
                await session.execute(
                    delete(oidc_sign_ins)
                    .where(oidc_sign_ins.c.state_hash == state_hash(state),
                           oidc_sign_ins.c.created_at >= datetime.now(UTC) - SIGN_IN_TIMEOUT)
                    .returning(oidc_sign_ins.c.nonce, oidc_sign_ins.c.code_verifier, oidc_sign_ins.c.next_path)
                )
            ).first()
        if pending is None:
            return self.expired(request)
        not_confirmed = ("You were not signed in", "Your council's sign-in service did not confirm who you are. Go "
                         "back to the sign-in page and try again.")
        if error or not code:
            return self.refused(request, 400, *not_confirmed)
        try:
            id_token = await self.client.exchange_code(code, pending.code_verifier)
            identity = self.client.identity(await self.client.validate_id_token(id_token, pending.nonce))
        except OidcError:
            async with self.ui.session_factory.begin() as session:
                await self.ui.audit.record(session, actor_id="anonymous", action="auth.sign_in_failed",
                                           record_type="account", record_id="unknown",
                                           details={"method": "openid_connect"})
            return self.refused(request, 400, *not_confirmed)
        return await self.sign_in(request, identity, pending.next_path)

    async def sign_in(self, request: Request, identity: Identity, next_path: str) -> Response:
        async with self.ui.session_factory.begin() as session:
            try:
                account = await self.ui.accounts.provision_identity(
                    session, issuer=identity.issuer, subject=identity.subject, email=identity.email,
                    display_name=identity.display_name, roles=identity.roles, team_id=identity.team_id,
                    create=bool(identity.roles),
                )
            except EmailInUse as clash:
                await self.ui.audit.record(session, actor_id=clash.user_id, action="auth.sign_in_refused",
                                           record_type="user", record_id=clash.user_id,
                                           details={"reason": "email_in_use"})
                account, outcome = None, "email_in_use"
            else:
                outcome = await self.outcome(session, identity, account)
            if outcome == "signed_in" and account is not None:
                token = await begin_session(request, session, sessions=self.ui.sessions, audit=self.ui.audit,
                                            user=account.user, method="openid_connect")
                response = signed_in_redirect(self.ui.sessions, token, account.user, next_path)
                self.forget_state(response)
                return response
        if outcome == "email_in_use":
            return self.refused(request, 409, "Your account could not be set up",
                                "Another account in this service already uses your email address. Ask your "
                                "administrator to remove it, then sign in again.")
        if outcome == "inactive":
            return self.refused(request, 403, "Your account has been switched off",
                                "Ask your administrator to switch your account back on.")
        return self.refused(request, 403, "You do not have access to this service",
                            "Your council account has no role in this service.",
                            "Ask your manager to give you a role for this service in your council's sign-in "
                            "service, then sign in again.")

    async def outcome(self, session: AsyncSession, identity: Identity, account: UserAccount | None) -> str:
        if account is None:
            unknown = identity_user_id(identity.issuer, identity.subject)
            await self.ui.audit.record(session, actor_id=unknown, action="auth.sign_in_refused", record_type="user",
                                       record_id=unknown, details={"reason": "no_role"})
            return "no_role"
        user_id = account.user.user_id
        if not account.active:
            await self.ui.audit.record(session, actor_id=user_id, action="auth.sign_in_refused", record_type="user",
                                       record_id=user_id, details={"reason": "inactive"})
            return "inactive"
        if not account.user.roles:
            # The provider took the user's roles away: their sessions here end too.
            await self.ui.accounts.end_all_sessions(session, user_id)
            await self.ui.audit.record(session, actor_id=user_id, action="auth.sign_in_refused", record_type="user",
                                       record_id=user_id, details={"reason": "no_role"})
            return "no_role"
        return "signed_in"


def add_oidc_routes(ui: Ui, client: OidcClient) -> None:
    flow = OidcSignIn(ui, client)

    @ui.router.page("/sign-in/oidc", access=PUBLIC)
    async def start_oidc_sign_in(request: Request, next: str = "/") -> Response:  # the query parameter's name
        return await flow.start(request, next)

    @ui.router.page("/sign-in/oidc/callback", access=PUBLIC)
    async def finish_oidc_sign_in(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
        return await flow.finish(request, state, code, error)
