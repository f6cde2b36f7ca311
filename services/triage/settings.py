from datetime import date

from pydantic import Field

from cme_runtime.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    """Each authority's triage configuration, from CME_-prefixed environment variables.

    CME_TERM_DATES is a JSON list of [first day, last day] pairs, both inclusive, such as
    ``[["2026-09-02", "2026-10-23"], ["2026-11-02", "2026-12-18"]]``; without it every weekday that is not
    a bank holiday counts as a school day. The school-day counts left unset keep the rule tables' values.
    """

    service_name: str = "triage"
    http_port: int = 8002
    home_la_code: str = Field(default="885", pattern=r"^[0-9]{3}$", description="This authority's DfE LA code")
    term_dates: list[tuple[date, date]] = []
    cnis_register_commences_on: date | None = None
    joiner_watch_school_days: int | None = None
    cme_enquiry_due_school_days: int | None = None
