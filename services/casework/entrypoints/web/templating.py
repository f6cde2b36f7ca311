"""Jinja2 with the GOV.UK Frontend macros (govuk-frontend-jinja), plus helpers the pages share."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parent / "templates"
LONDON = ZoneInfo("Europe/London")


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(LONDON)
        return f"{local.day} {local:%B %Y} at {local:%H:%M}"
    return f"{value.day} {value:%B %Y}"


def error_summary(errors: Mapping[str, str]) -> list[dict[str, str]]:
    """GOV.UK error summary items, each linked to its field."""
    return [{"text": message, "href": f"#{field}"} for field, message in errors.items()]


def options(pairs: Sequence[tuple[str, str]], selected: str | None = None) -> list[dict[str, Any]]:
    return [{"value": value, "text": text, "selected": value == selected} for value, text in pairs]


def create_templates(service_name: str, authority_name: str) -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(TEMPLATES),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["long_date"] = long_date
    environment.globals.update(
        service_name=service_name, authority_name=authority_name, error_summary=error_summary, options=options
    )
    return Jinja2Templates(env=environment)


def render(templates: Jinja2Templates, request: Request, name: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    record = request.scope.get("cme_session")
    context.setdefault("errors", {})
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": record.user if record else None,
            "csrf_token": record.csrf_token if record else context.pop("pre_session_csrf", ""),
            "cspNonce": getattr(request.state, "csp_nonce", None),
            **context,
        },
        status_code=status_code,
    )
