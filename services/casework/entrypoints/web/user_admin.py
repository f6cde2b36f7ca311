"""Managing users (administrator): roles and team, switching accounts off and on, ending their sessions.

Accounts that sign in with OpenID Connect take their roles from the identity provider at every sign-in, so their
roles are managed there, not here. Nobody changes their own roles or switches off their own account.
"""

from typing import Final
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.casework.adapters.accounts import SignInMethod, UserAccount
from services.casework.domain.access import Permission, Role
from services.casework.entrypoints.web.context import Ui
from services.casework.entrypoints.web.security import requires
from services.casework.entrypoints.web.templating import render

MANAGE_USERS: Final = requires(Permission.MANAGE_USERS)
ROLE_LABELS: Final = {
    Role.CME_OFFICER: "CME officer",
    Role.ENGAGEMENT_MANAGER: "Engagement manager",
    Role.LEAD_OFFICER: "Lead officer",
    Role.GROUP_MANAGER: "Group manager",
    Role.SENIOR_OFFICER: "Senior officer",
    Role.ADMINISTRATOR: "Administrator",
}
METHOD_LABELS: Final = {
    SignInMethod.LOCAL_ACCOUNT: "Email and password",
    SignInMethod.OPENID_CONNECT: "Council account",
    SignInMethod.SERVICE_ACCOUNT: "API token (service account)",
}
DONE: Final = {
    "roles": "Roles and team saved",
    "deactivated": "Account switched off and all its sessions ended",
    "reactivated": "Account switched back on",
    "signed_out": "All the user's sessions ended",
}


def add_user_admin_pages(ui: Ui) -> None:
    router, accounts, audit = ui.router, ui.accounts, ui.audit

    def admin_id(request: Request) -> str:
        return str(request.scope["cme_session"].user.user_id)

    async def load(user_id: str) -> UserAccount:
        async with ui.session_factory() as session:
            account = await accounts.account(session, user_id)
        if account is None:
            raise HTTPException(status_code=404, detail="No such user")
        return account

    def user_page(request: Request, account: UserAccount, status_code: int = 200, **context: object) -> Response:
        return render(ui.templates, request, "users/show.html", status_code=status_code, active_nav="users",
                      account=account, role_labels=ROLE_LABELS, method_labels=METHOD_LABELS,
                      is_self=account.user.user_id == admin_id(request),
                      roles_managed_here=account.signs_in_with is not SignInMethod.OPENID_CONNECT,
                      **{"done": None, "chosen_roles": [r.value for r in account.user.roles],
                         "team": account.user.team_id or "", **context})

    @router.page("/users", access=MANAGE_USERS)
    async def list_users(request: Request) -> Response:
        async with ui.session_factory() as session:
            everyone = await accounts.accounts(session)
        return render(ui.templates, request, "users/list.html", active_nav="users", accounts=everyone,
                      role_labels=ROLE_LABELS, method_labels=METHOD_LABELS)

    @router.page("/users/{user_id}", access=MANAGE_USERS)
    async def show_user(request: Request, user_id: str, done: str = "") -> Response:
        return user_page(request, await load(user_id), done=DONE.get(done))

    @router.action("/users/{user_id}/roles", access=MANAGE_USERS)
    async def change_roles(request: Request, user_id: str) -> Response:
        account = await load(user_id)
        form = await request.form()
        chosen = [str(value) for value in form.getlist("roles")]
        team = str(form.get("team", "")).strip()
        errors = {}
        if account.user.user_id == admin_id(request):
            errors["roles"] = "You cannot change your own roles. Ask another administrator"
        elif account.signs_in_with is SignInMethod.OPENID_CONNECT:
            errors["roles"] = "This user's roles come from your council's sign-in service. Change them there"
        elif not chosen or any(value not in Role.__members__.values() for value in chosen):
            errors["roles"] = "Select at least one role"
        if len(team) > 64:
            errors["team"] = "Team must be 64 characters or fewer"
        if errors:
            return user_page(request, account, status_code=400, errors=errors, chosen_roles=chosen, team=team)
        roles = [Role(value) for value in chosen]
        async with ui.session_factory.begin() as session:
            await accounts.set_roles(session, user_id, roles, team or None)
            await audit.record(session, actor_id=admin_id(request), action="user.roles_changed", record_type="user",
                               record_id=user_id, details={"roles": ",".join(chosen), "team": team})
        return RedirectResponse(f"/users/{quote(user_id, safe='')}?done=roles", status_code=303)

    @router.action("/users/{user_id}/deactivate", access=MANAGE_USERS)
    async def deactivate(request: Request, user_id: str) -> Response:
        account = await load(user_id)
        if account.user.user_id == admin_id(request):
            return user_page(request, account, status_code=400,
                             errors={"deactivate": "You cannot switch off your own account. Ask another administrator"})
        async with ui.session_factory.begin() as session:
            if await accounts.deactivate(session, user_id):
                await audit.record(session, actor_id=admin_id(request), action="user.deactivated",
                                   record_type="user", record_id=user_id)
        return RedirectResponse(f"/users/{quote(user_id, safe='')}?done=deactivated", status_code=303)

    @router.action("/users/{user_id}/reactivate", access=MANAGE_USERS)
    async def reactivate(request: Request, user_id: str) -> Response:
        await load(user_id)
        async with ui.session_factory.begin() as session:
            if await accounts.reactivate(session, user_id):
                await audit.record(session, actor_id=admin_id(request), action="user.reactivated",
                                   record_type="user", record_id=user_id)
        return RedirectResponse(f"/users/{quote(user_id, safe='')}?done=reactivated", status_code=303)

    @router.action("/users/{user_id}/sign-out-everywhere", access=MANAGE_USERS)
    async def sign_out_everywhere(request: Request, user_id: str) -> Response:
        await load(user_id)
        async with ui.session_factory.begin() as session:
            ended = await accounts.end_all_sessions(session, user_id)
            await audit.record(session, actor_id=admin_id(request), action="user.sessions_ended",
                               record_type="user", record_id=user_id, details={"sessions": ended})
        return RedirectResponse(f"/users/{quote(user_id, safe='')}?done=signed_out", status_code=303)
