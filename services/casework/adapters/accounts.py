"""Officers' accounts and sessions in PostgreSQL."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.tables import sessions, sign_in_attempts, users
from services.casework.domain.access import Actor, Role

_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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
        row = (await session.execute(select(users).where(users.c.user_id == user_id, users.c.active))).mappings().first()
        return _user(dict(row)) if row else None

    async def all_users(self, session: AsyncSession) -> list[User]:
        rows = (await session.execute(select(users).where(users.c.active).order_by(users.c.display_name))).mappings()
        return [_user(dict(row)) for row in rows]

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

    async def recent_failures(self, session: AsyncSession, email: str, client: str, window: timedelta) -> int:
        since = datetime.now(UTC) - window
        query = select(func.count()).where(
            sign_in_attempts.c.at >= since,
            sign_in_attempts.c.succeeded.is_(False),
            (sign_in_attempts.c.account_key == account_key(email)) | (sign_in_attempts.c.client == client),
        )
        return int((await session.execute(query)).scalar_one())

    async def record_attempt(self, session: AsyncSession, email: str, client: str, succeeded: bool) -> None:
        await session.execute(
            sign_in_attempts.insert().values(account_key=account_key(email), client=client, succeeded=succeeded)
        )

    async def start_session(self, session: AsyncSession, user: User) -> tuple[str, str]:
        """A new session (never a reused one) for the user; returns the cookie token and the CSRF token."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await session.execute(
            sessions.insert().values(
                token_hash=token_hash(token), user_id=user.user_id, csrf_token=csrf, created_at=now, last_seen_at=now
            )
        )
        return token, csrf

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
