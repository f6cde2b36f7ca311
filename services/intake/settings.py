from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from cme_runtime.settings import ServiceSettings
from services.intake.domain.ctf import DEFAULT_MAX_BYTES

REFERENCE = Path(__file__).parent / "reference"


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    home_la_code: str = "885"
    establishments_csv: Path = REFERENCE / "establishments.csv"
    max_leaving_days_ahead: int = Field(
        default=5, description="How many days after the submission a leaving or start date may be"
    )
    ctf_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, description="The largest CTF file accepted")
    submission_max_bytes: int = Field(
        default=1024 * 1024,
        description="The largest JSON body the HTTP API reads (413 beyond it, refused before it is read); "
        "a submission is a few kilobytes",
    )
    submission_batch_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        description="The largest body of a batch of submissions (POST /api/v1/submissions/batch, up to 500 of them)",
    )
    intake_api_keys: dict[str, str] = Field(
        default={},
        description="CME_INTAKE_API_KEYS: API keys of upstream systems, mapped to the client's name. "
        "Empty (development only) leaves the submission API open",
    )
    intake_admin_keys: dict[str, str] = Field(
        default={},
        description="CME_INTAKE_ADMIN_KEYS: keys for the internal match-review and merge endpoints, mapped to the "
        "calling system's name. Empty switches those endpoints off",
    )
    internal_api_token: SecretStr | None = Field(
        default=None,
        description="CME_INTERNAL_API_TOKEN: the service token casework's officers' UI presents to intake's internal "
        "API (officer-entered referrals, match reviews, documents). Unset switches that API off",
    )
    document_max_bytes: int = Field(
        default=10 * 1024 * 1024, description="The largest document accepted with a return (413 beyond it)"
    )
    document_store: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="Where documents' bytes are kept: intake's PostgreSQL schema, or an S3-compatible bucket",
    )
    document_s3_bucket: str = Field(default="cme-documents", description="The bucket, when document_store is s3")
    document_s3_endpoint_url: str | None = Field(
        default=None, description="An S3-compatible endpoint (MinIO, Ceph); unset means AWS S3"
    )
    document_s3_region: str = "eu-west-2"
    document_s3_access_key_id: str | None = Field(
        default=None, description="Unset: boto3's usual credential chain (environment, instance role)"
    )
    document_s3_secret_access_key: SecretStr | None = None
