"""The audit log page: who viewed and changed which record, newest first, and whether the hash chain is intact."""

import re
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select

from services.casework.adapters.tables import users
from services.casework.domain.access import Permission
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.security import requires
from services.casework.entrypoints.web.templating import render

VIEW_AUDIT_LOG: Final = requires(Permission.VIEW_AUDIT_LOG)
PAGE_SIZE: Final = 50
_RECORD_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


def page_link(record_id: str, **position: int) -> str:
    params = {"record_id": record_id} if record_id else {}
    return f"/audit?{urlencode({**params, **position})}"


def pagination(record_id: str, entries: list[dict[str, Any]], *, has_newer: bool, has_older: bool
               ) -> dict[str, Any] | None:
    """Newer and older pages, by sequence number: the log grows while it is read, and pages must not shift."""
    if not entries or not (has_newer or has_older):
        return None
    options: dict[str, Any] = {}
    if has_newer:
        options["previous"] = {"href": page_link(record_id, after=int(entries[0]["seq"])), "labelText": "Newer entries"}
    if has_older:
        options["next"] = {"href": page_link(record_id, before=int(entries[-1]["seq"])), "labelText": "Older entries"}
    return options


def add_audit_pages(ui: Ui) -> None:
    @ui.router.page("/audit", access=VIEW_AUDIT_LOG)
    async def audit_log_page(request: Request, record_id: str = "", before: int | None = None,
                             after: int | None = None) -> Response:
        record = request.scope["cme_session"]
        record_id = record_id.strip()
        errors = {}
        if record_id and not _RECORD_ID.fullmatch(record_id):
            errors["record_id"] = "Enter a record ID using only letters, numbers, dashes, dots and colons"
        wanted = record_id if record_id and not errors else None
        audit = ui.audit
        async with ui.session_factory.begin() as session:
            total = await audit.count(session, record_id=wanted) if wanted else await audit.head_seq(session)
            entries = await audit.entries(session, record_id=wanted, limit=PAGE_SIZE, before=before,
                                          after=None if before is not None else after)
            has_newer = bool(entries) and bool(
                await audit.entries(session, record_id=wanted, limit=1, after=int(str(entries[0]["seq"]))))
            has_older = bool(entries) and bool(
                await audit.entries(session, record_id=wanted, limit=1, before=int(str(entries[-1]["seq"]))))
            actor_ids = sorted({str(entry["actor_id"]) for entry in entries})
            names = dict((await session.execute(
                select(users.c.user_id, users.c.display_name).where(users.c.user_id.in_(actor_ids))
            )).tuples().all())
            status = await audit.verify_since_checkpoint(session)
            await audit.record(session, actor_id=record.user.user_id, action="audit_log.viewed",
                               record_type="audit_log", record_id=wanted or "all")
        return render(
            ui.templates, request, "audit.html", status_code=400 if errors else 200, errors=errors,
            active_nav="audit", entries=entries, names=names, total=total, record_id=record_id, status=status,
            pagination=pagination(wanted or "", entries, has_newer=has_newer, has_older=has_older),
        )
