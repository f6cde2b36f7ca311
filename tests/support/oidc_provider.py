"""A tiny but real OpenID Connect provider for tests: discovery, JWKS, authorization and token endpoints over
HTTP on a loopback port, with an RSA key from joserfc and the authorization code flow with PKCE (S256).

There is no login form: the test says who signs in next (`sign_in_as`), as if the person had typed their password
at the provider. `tamper` changes the next ID token's claims, or signs it with a key not in the JWKS (under a key
id of its own, or forged under the published key's id), so relying party checks can be shown to refuse it.
"""

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.suite import free_port


def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)


@dataclass
class PendingCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    claims: dict[str, Any]


@dataclass
class OidcProvider:
    client_id: str
    client_secret: str
    redirect_uri: str
    port: int = field(default_factory=free_port)
    key: RSAKey = field(default_factory=signing_key)
    next_user: dict[str, Any] | None = None
    next_tampering: dict[str, Any] = field(default_factory=dict)
    sign_with_unknown_key: bool = False
    forge_signature: bool = False
    codes: dict[str, PendingCode] = field(default_factory=dict)
    token_requests: int = 0
    key_set_requests: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in_as(self, *, subject: str, email: str, name: str, roles: list[str], **claims: Any) -> None:
        self.next_user = {"sub": subject, "email": email, "name": name, "roles": roles, **claims}

    def tamper(self, *, unknown_key: bool = False, forged: bool = False, **claims: Any) -> None:
        self.next_tampering = claims
        self.sign_with_unknown_key = unknown_key
        self.forge_signature = forged

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.key_set_requests += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        problems = [
            name
            for name, ok in (
                ("response_type", query.get("response_type") == "code"),
                ("client_id", query.get("client_id") == self.client_id),
                ("redirect_uri", query.get("redirect_uri") == self.redirect_uri),
                ("scope", "openid" in query.get("scope", "").split()),
                ("code_challenge_method", query.get("code_challenge_method") == "S256"),
                ("code_challenge", bool(query.get("code_challenge"))),
                ("nonce", bool(query.get("nonce"))),
                ("state", bool(query.get("state"))),
            )
            if not ok
        ]
        if problems:
            return JSONResponse({"error": "invalid_request", "error_description": ",".join(problems)}, 400)
        if self.next_user is None:
            params = {"error": "access_denied", "state": query["state"]}
            return RedirectResponse(f"{self.redirect_uri}?{urlencode(params)}", 302)
        code = secrets.token_urlsafe(24)
        self.codes[code] = PendingCode(
            self.client_id, query["redirect_uri"], query["code_challenge"], query["nonce"], self.next_user
        )
        return RedirectResponse(f"{self.redirect_uri}?{urlencode({'code': code, 'state': query['state']})}", 302)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = await request.form()
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if scheme.lower() != "basic" or credentials != expected:
            return JSONResponse({"error": "invalid_client"}, 401)
        pending = self.codes.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            pending is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != pending.redirect_uri
            or challenge != pending.code_challenge
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": pending.nonce,
            **pending.claims,
            **self.next_tampering,
        }
        key, kid = self.key, self.key.kid
        if self.sign_with_unknown_key or self.forge_signature:
            key = signing_key()
            kid = kid if self.forge_signature else key.kid
        id_token = jwt.encode({"alg": "RS256", "kid": kid}, claims, key)
        self.next_tampering, self.sign_with_unknown_key, self.forge_signature = {}, False, False
        return JSONResponse(
            {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )


@asynccontextmanager
async def running_provider(client_id: str, client_secret: str, redirect_uri: str) -> AsyncIterator[OidcProvider]:
    """The provider served by uvicorn on a free loopback port until the block ends."""
    provider = OidcProvider(client_id, client_secret, redirect_uri)
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), host="127.0.0.1", port=provider.port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield provider
    finally:
        server.should_exit = True
        await task
