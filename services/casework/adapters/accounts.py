"""Officers' accounts and sessions in PostgreSQL."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import sessions, sign_in_attempts, users
from services.casework.domain.access import Actor, Role

_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# ASVS 7.1.2: an officer may be signed in on a few devices at once; the oldest session ends beyond this.
MAX_SESSIONS_PER_USER = 5
# Sign-in attempts only matter inside the throttling window; older rows are pruned on successful sign-ins.
ATTEMPTS_KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    display_name: str
    initials: str
    roles: frozenset[Role]
    team_id: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.roles, self.team_id)


class SignInMethod(StrEnum):
    LOCAL_ACCOUNT = "local_account"
    OPENID_CONNECT = "openid_connect"
    SERVICE_ACCOUNT = "service_account"


@dataclass(frozen=True)
class UserAccount:
    """A user as the administrator sees them: whether they may sign in, and how."""

    user: User
    active: bool
    signs_in_with: SignInMethod


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed sign-ins are allowed in a sliding window before sign-in is refused.

    Failures for one account from one client are counted since that client last signed in to it, so an officer's
    own typos never add up across days. A victim cannot be locked out from their own client by failures sent
    from elsewhere, except by a flood past `per_account` (a distributed guessing attack), and never for longer
    than `window` after the failures stop: refused attempts are not counted.
    """

    window: timedelta = timedelta(minutes=15)
    per_account_and_client: int = 5
    # A council office signs in from behind one address, so the per-client limit allows for a team's typos.
    per_client: int = 20
    per_account: int = 100


class EmailInUse(Exception):
    """Another account already has this email address; `user_id` is the account that wanted it."""

    def __init__(self, user_id: str) -> None:
        super().__init__(user_id)
        self.user_id = user_id


@dataclass(frozen=True)
class SessionRecord:
    user: User
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def initials_of(display_name: str) -> str:
    words = display_name.split()
    return "".join(word[0] for word in (words[:1] + words[1:][-1:])).upper() or "?"


def identity_user_id(issuer: str, subject: str) -> str:
    """A stable local id for an OpenID Connect identity (issuer and subject together are unique)."""
    return "oidc-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]


def service_email(user_id: str) -> str:
    return f"{user_id}@service.invalid"


def _sign_in_method(row: dict[str, object]) -> SignInMethod:
    if row["identity_subject"] is not None:
        return SignInMethod.OPENID_CONNECT
    if row["password_hash"] is not None:
        return SignInMethod.LOCAL_ACCOUNT
    return SignInMethod.SERVICE_ACCOUNT


def _user(row: dict[str, object]) -> User:
    return User(
        user_id=str(row["user_id"]),
        email=str(row["email"]),
        display_name=str(row["display_name"]),
        initials=str(row["initials"]),
        roles=frozenset(Role(role) for role in row["roles"]),  # type: ignore[attr-defined]
        team_id=row["team_id"],  # type: ignore[arg-type]
    )


class Accounts:
    async def add_user(
        self,
        session: AsyncSession,
        *,
        user_id: str,
        email: str,
        display_name: str,
        initials: str,
        roles: Sequence[Role],
        team_id: str | None,
        password: str | None,
    ) -> None:
        await session.execute(
            users.insert().values(
                user_id=user_id,
                email=email.strip().casefold(),
                display_name=display_name,
                initials=initials,
                roles=[role.value for role in roles],
                team_id=team_id,
                password_hash=hash_password(password) if password else None,
            )
        )

    async def get(self, session: AsyncSession, user_id: str) -> User | None:
        query = select(users).where(users.c.user_id == user_id, users.c.active)
        row = (await session.execute(query)).mappings().first()
        return _user(dict(row)) if row else None

    async def all_users(self, session: AsyncSession) -> list[User]:
        rows = (await session.execute(select(users).where(users.c.active).order_by(users.c.display_name))).mappings()
        return [_user(dict(row)) for row in rows]

    async def accounts(self, session: AsyncSession) -> list[UserAccount]:
        """Every account, active or not, for the administrator."""
        rows = (await session.execute(select(users).order_by(users.c.active.desc(), users.c.display_name))).mappings()
        return [UserAccount(_user(dict(row)), row["active"], _sign_in_method(dict(row))) for row in rows]

    async def account(self, session: AsyncSession, user_id: str) -> UserAccount | None:
        row = (await session.execute(select(users).where(users.c.user_id == user_id))).mappings().first()
        return UserAccount(_user(dict(row)), row["active"], _sign_in_method(dict(row))) if row else None

    async def set_roles(self, session: AsyncSession, user_id: str, roles: Sequence[Role], team_id: str | None) -> None:
        """Roles take effect on the user's next request: sessions read them from `users` every time."""
        await session.execute(
            update(users).where(users.c.user_id == user_id).values(roles=[r.value for r in roles], team_id=team_id)
        )

    async def deactivate(self, session: AsyncSession, user_id: str) -> bool:
        """Stop the user signing in and end every session they have (ASVS 7.4.2). False if already inactive."""
        result = await session.execute(
            update(users).where(users.c.user_id == user_id, users.c.active).values(active=False)
        )
        await self.end_all_sessions(session, user_id)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def reactivate(self, session: AsyncSession, user_id: str) -> bool:
        result = await session.execute(
            update(users).where(users.c.user_id == user_id, users.c.active.is_(False)).values(active=True)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def end_all_sessions(self, session: AsyncSession, user_id: str) -> int:
        result = await session.execute(delete(sessions).where(sessions.c.user_id == user_id))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def ensure_service_user(self, session: AsyncSession, user_id: str, role: Role) -> str:
        """A user for a JSON API bearer token: no password, so it cannot sign in to the UI. Returns "created",
        "updated" (its role set to `role`) or "inactive" (left alone: a deactivated account stays so)."""
        row = (await session.execute(select(users.c.active).where(users.c.user_id == user_id))).first()
        if row is None:
            await self.add_user(session, user_id=user_id, email=service_email(user_id),
                                display_name=f"Service account {user_id}", initials="SA", roles=[role], team_id=None,
                                password=None)
            return "created"
        if not row.active:
            return "inactive"
        await session.execute(update(users).where(users.c.user_id == user_id).values(roles=[role.value]))
        return "updated"

    async def provision_identity(
        self,
        session: AsyncSession,
        *,
        issuer: str,
        subject: str,
        email: str,
        display_name: str,
        roles: Sequence[Role],
        team_id: str | None,
        create: bool = True,
    ) -> UserAccount | None:
        """Create or update the account of an OpenID Connect identity from its claims; roles come only from the
        claims, so a role removed at the identity provider is removed here at the next sign-in. Without `create`,
        an identity with no account yet is left without one (None)."""
        email = email.strip().casefold()
        row = (
            await session.execute(
                select(users).where(users.c.identity_issuer == issuer, users.c.identity_subject == subject)
            )
        ).mappings().first()
        if row is None and not create:
            return None
        user_id = str(row["user_id"]) if row else identity_user_id(issuer, subject)
        taken = (
            await session.execute(select(users.c.user_id).where(users.c.email == email, users.c.user_id != user_id))
        ).first()
        if taken is not None:
            raise EmailInUse(user_id)
        values = {
            "email": email,
            "display_name": display_name,
            "initials": initials_of(display_name),
            "roles": [role.value for role in roles],
            "team_id": team_id,
        }
        if row is None:
            await session.execute(
                users.insert().values(user_id=user_id, identity_issuer=issuer, identity_subject=subject,
                                      password_hash=None, **values)
            )
        else:
            await session.execute(update(users).where(users.c.user_id == user_id).values(**values))
        return await self.account(session, user_id)

    async def authenticate(self, session: AsyncSession, email: str, password: str) -> User | None:
        row = (
            await session.execute(select(users).where(users.c.email == email.strip().casefold(), users.c.active))
        ).mappings().first()
        stored = row["password_hash"] if row else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return _user(dict(row)) if row and stored else None

    async def sign_in_throttled(self, session: AsyncSession, email: str, client: str, policy: ThrottlePolicy) -> bool:
        """True when too many sign-ins failed recently for this account from this client, from this client, or
        for this account (see `ThrottlePolicy`)."""
        key = account_key(email)
        since = datetime.now(UTC) - policy.window
        attempts = sign_in_attempts.c
        last_success = (
            select(func.max(attempts.at))
            .where(attempts.account_key == key, attempts.client == client, attempts.succeeded, attempts.at >= since)
            .scalar_subquery()
        )
        pair_since = func.coalesce(last_success, since)
        counts = (
            await session.execute(
                select(
                    func.count().filter(and_(attempts.account_key == key, attempts.client == client,
                                             attempts.at > pair_since)),
                    func.count().filter(attempts.client == client),
                    func.count().filter(attempts.account_key == key),
                ).where(
                    attempts.at >= since,
                    attempts.succeeded.is_(False),
                    (attempts.account_key == key) | (attempts.client == client),
                )
            )
        ).one()
        pair, by_client, by_account = (int(count) for count in counts)
        return (
            pair >= policy.per_account_and_client
            or by_client >= policy.per_client
            or by_account >= policy.per_account
        )

    async def record_attempt(self, session: AsyncSession, email: str, client: str, succeeded: bool) -> None:
        await session.execute(
            sign_in_attempts.insert().values(account_key=account_key(email), client=client, succeeded=succeeded)
        )
        if succeeded:
            await session.execute(
                delete(sign_in_attempts).where(sign_in_attempts.c.at < datetime.now(UTC) - ATTEMPTS_KEPT_FOR)
            )

    async def start_session(self, session: AsyncSession, user: User) -> tuple[str, str]:
        """A new session (never a reused one) for the user; returns the cookie token and the CSRF token.

        Beyond `MAX_SESSIONS_PER_USER` the user's oldest sessions end.
        """
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await session.execute(
            sessions.insert().values(
                token_hash=token_hash(token), user_id=user.user_id, csrf_token=csrf, created_at=now, last_seen_at=now
            )
        )
        newest = (
            select(sessions.c.token_hash)
            .where(sessions.c.user_id == user.user_id)
            .order_by(sessions.c.created_at.desc())
            .limit(MAX_SESSIONS_PER_USER)
        )
        await session.execute(
            delete(sessions).where(sessions.c.user_id == user.user_id, sessions.c.token_hash.not_in(newest))
        )
        return token, csrf

    async def end_expired_sessions(self, session: AsyncSession, absolute_timeout: timedelta) -> None:
        await session.execute(delete(sessions).where(sessions.c.created_at < datetime.now(UTC) - absolute_timeout))

    async def load_session(
        self, session: AsyncSession, token: str, idle_timeout: timedelta, absolute_timeout: timedelta
    ) -> SessionRecord | None:
        now = datetime.now(UTC)
        row = (
            await session.execute(
                select(sessions, users)
                .join(users, users.c.user_id == sessions.c.user_id)
                .where(sessions.c.token_hash == token_hash(token), users.c.active)
            )
        ).mappings().first()
        if row is None:
            return None
        if now - row["last_seen_at"] > idle_timeout or now - row["created_at"] > absolute_timeout:
            await self.end_session(session, token)
            return None
        if now - row["last_seen_at"] > timedelta(seconds=30):
            await session.execute(
                update(sessions).where(sessions.c.token_hash == token_hash(token)).values(last_seen_at=now)
            )
        return SessionRecord(_user(dict(row)), row["csrf_token"], row["created_at"], row["last_seen_at"])

    async def end_session(self, session: AsyncSession, token: str) -> None:
        await session.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))
