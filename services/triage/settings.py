from datetime import date

from cme_runtime.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    service_name: str = "triage"
    http_port: int = 8002
    term_dates: list[tuple[date, date]] = []
    cnis_register_commences_on: date | None = None
    joiner_watch_school_days: int | None = None
