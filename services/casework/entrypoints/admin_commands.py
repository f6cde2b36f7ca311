"""Admin commands for accounts and the audit log (registered in cli.py).

    python -m services.casework add-user --user-id ID --email EMAIL --name NAME --role ROLE [--role ROLE]
                                         [--team TEAM] [--password-env VARIABLE]
    python -m services.casework ensure-service-user USER_ID ROLE
    python -m services.casework deactivate-user USER_ID
    python -m services.casework verify-audit

Each prints one JSON object and returns the process's exit code. Changes to accounts are audited with the actor
"cli", as the person at the console is not a user of the service.
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.casework.adapters.accounts import initials_of
from services.casework.app import Components, build
from services.casework.domain.access import Role
from services.casework.settings import CaseworkSettings

CLI_ACTOR = "cli"
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as an exit code instead of leaving the process."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class UsageError(Exception):
    pass


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, sort_keys=True))


def _run(settings: CaseworkSettings, work: Callable[[Components, AsyncSession], Awaitable[int]]) -> int:
    async def main() -> int:
        components = build(settings)
        try:
            async with components.runtime.session_factory.begin() as session:
                return await work(components, session)
        finally:
            await components.runtime.engine.dispose()
            components.runtime.tracer_provider.shutdown()

    return asyncio.run(main())


def _user_id(value: str) -> str:
    # Audit entries name users by id, and take only identifiers.
    if not USER_ID.fullmatch(value):
        raise UsageError("a user id is letters, numbers, dots, dashes, colons and @, starting with a letter or number")
    return value


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UsageError(f"unknown role {value!r}; roles are {', '.join(role.value for role in Role)}") from None


def _usage(command: Callable[[CaseworkSettings, Sequence[str]], int]) -> Callable[[CaseworkSettings, Sequence[str]],
                                                                                     int]:
    def guarded(settings: CaseworkSettings, argv: Sequence[str]) -> int:
        try:
            return command(settings, argv)
        except UsageError as error:
            print(error, file=sys.stderr)
            return 2

    guarded.__doc__ = command.__doc__
    return guarded


@_usage
def add_user(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    """Add a local account (development and small deployments; production signs in with OpenID Connect). The
    password comes from the named environment variable, or is generated and printed once."""
    parser = _Parser(prog="add-user")
    parser.add_argument("--user-id", required=True, type=_user_id)
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--initials")
    parser.add_argument("--role", action="append", required=True, type=_role)
    parser.add_argument("--team")
    parser.add_argument("--password-env", help="the environment variable holding the password")
    args = parser.parse_args(argv)
    password = os.environ.get(args.password_env, "") if args.password_env else secrets.token_urlsafe(12)
    if len(password) < 12:
        raise UsageError("add-user: the password must be at least 12 characters long")

    async def work(built: Components, session: AsyncSession) -> int:
        try:
            async with session.begin_nested():
                await built.accounts.add_user(
                    session, user_id=args.user_id, email=args.email, display_name=args.name,
                    initials=args.initials or initials_of(args.name), roles=args.role, team_id=args.team,
                    password=password,
                )
        except IntegrityError:
            _print({"created": False, "user_id": args.user_id,
                    "error": "a user with this id or email address already exists"})
            return 1
        await built.audit.record(session, actor_id=CLI_ACTOR, action="user.created", record_type="user",
                                record_id=args.user_id, details={"roles": ",".join(args.role)})
        report: dict[str, Any] = {"created": True, "user_id": args.user_id, "roles": [r.value for r in args.role]}
        if not args.password_env:
            report["password"] = password
        _print(report)
        return 0

    return _run(settings, work)


@_usage
def ensure_service_user(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    """Create (or set the role of) the user a JSON API bearer token acts as. It has no password, so it cannot
    sign in to the officers' UI. Exit 1 when the user exists but is deactivated."""
    parser = _Parser(prog="ensure-service-user")
    parser.add_argument("user_id", type=_user_id)
    parser.add_argument("role", type=_role)
    args = parser.parse_args(argv)

    async def work(built: Components, session: AsyncSession) -> int:
        outcome = await built.accounts.ensure_service_user(session, args.user_id, args.role)
        if outcome != "inactive":
            await built.audit.record(session, actor_id=CLI_ACTOR, action=f"user.service_user_{outcome}",
                                    record_type="user", record_id=args.user_id, details={"role": args.role.value})
        _print({"user_id": args.user_id, "role": args.role.value, "outcome": outcome})
        return 1 if outcome == "inactive" else 0

    return _run(settings, work)


@_usage
def deactivate_user(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    """Stop a user signing in and end all their sessions at once."""
    parser = _Parser(prog="deactivate-user")
    parser.add_argument("user_id")
    args = parser.parse_args(argv)

    async def work(built: Components, session: AsyncSession) -> int:
        accounts = built.accounts
        if await accounts.account(session, args.user_id) is None:
            _print({"user_id": args.user_id, "deactivated": False, "error": "no such user"})
            return 1
        changed = await accounts.deactivate(session, args.user_id)
        if changed:
            await built.audit.record(session, actor_id=CLI_ACTOR, action="user.deactivated", record_type="user",
                                    record_id=args.user_id)
        _print({"user_id": args.user_id, "deactivated": True, "already_inactive": not changed})
        return 0

    return _run(settings, work)


@_usage
def verify_audit(settings: CaseworkSettings, argv: Sequence[str]) -> int:
    """Verify the whole audit chain and every checkpoint; print a JSON report; exit 1 when the chain is broken,
    naming the first broken sequence number. An intact chain gets a checkpoint at its head."""
    _Parser(prog="verify-audit").parse_args(argv)

    async def work(built: Components, session: AsyncSession) -> int:
        status = await built.audit.verify_all(session, write_checkpoint=True)
        _print({**status.as_json(), "verified_at": built.clock().isoformat()})
        return 0 if status.report.ok else 1

    return _run(settings, work)
