"""Reporting's internal HTTP API: the weekly pack for casework's officers' UI.

Officers sign in to one UI (casework's), which checks each user's App. E permissions (VIEW_REPORTS) and audits
every view; it then calls this API with a service token (CME_INTERNAL_API_TOKEN), naming the acting user. Not for
browsers: only that token is answered; with no token configured the API is not there (404).
"""

import hmac
from datetime import date

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.domain.pack import Pack
from services.reporting.entrypoints.rendering import render_csv_zip, render_html, render_pdf
from services.reporting.service_layer.packs import PackService

PREFIX = "/internal/v1"
# The cases whose children the team's pack names (its agenda), ids only, so casework audits each view of them.
CASE_IDS_HEADER = "X-CME-Case-Ids"


def _named(pack: Pack, counts_only: bool) -> dict[str, str]:
    return {} if counts_only else {CASE_IDS_HEADER: ",".join(item.case_id for item in pack.agenda)}


def add_internal_api(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    packs: PackService,
    token: SecretStr | None,
) -> None:
    def authenticate(request: Request) -> None:
        if token is None:
            raise HTTPException(status_code=404)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.encode(), token.get_secret_value().encode()):
            raise HTTPException(status_code=401, detail="A valid service token is required")

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authenticate)], include_in_schema=False)

    async def load(week: date | None) -> Pack:
        async with session_factory() as session:
            return await packs.pack(session, week or packs.last_full_week())

    @router.get("/packs/last-week")
    async def last_week() -> dict[str, str]:
        return {"week_start": packs.last_full_week().isoformat()}

    @router.get("/packs/{week}/fragment")
    async def fragment(week: date, counts_only: bool = Query(default=False)) -> Response:
        pack = await load(week)
        body = render_html(pack, counts_only=counts_only, standalone=False)
        return Response(body, media_type="text/html; charset=utf-8", headers=_named(pack, counts_only))

    @router.get("/packs/{week}/pdf")
    async def pdf(week: date, counts_only: bool = Query(default=False)) -> Response:
        pack = await load(week)
        return Response(
            render_pdf(pack, counts_only=counts_only), media_type="application/pdf", headers=_named(pack, counts_only)
        )

    @router.get("/packs/{week}/csv")
    async def csv(week: date, counts_only: bool = Query(default=False)) -> Response:
        pack = await load(week)
        return Response(
            render_csv_zip(pack, counts_only=counts_only), media_type="application/zip",
            headers=_named(pack, counts_only),
        )

    app.include_router(router)
