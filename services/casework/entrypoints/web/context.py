"""What every officers' page module is given: the guarded router, templates, sessions and the stores it uses."""

from dataclasses import dataclass

from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.casework.adapters.accounts import Accounts
from services.casework.adapters.audit import AuditLog
from services.casework.entrypoints.web.security import GuardedRouter, Sessions


@dataclass
class Ui:
    router: GuardedRouter
    templates: Jinja2Templates
    sessions: Sessions
    accounts: Accounts
    audit: AuditLog
    session_factory: async_sessionmaker[AsyncSession]
