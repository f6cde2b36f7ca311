from pathlib import Path

from cme_runtime.settings import ServiceSettings

REFERENCE = Path(__file__).parent / "reference"


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    home_la_code: str = "885"
    establishments_csv: Path = REFERENCE / "establishments.csv"
    max_leaving_days_ahead: int = 5
