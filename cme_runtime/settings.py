"""Configuration from environment variables, with defaults that work on a developer machine."""

from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service shares. A service subclasses this and sets `service_name` and its port.

    KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL are read without a prefix, as the platform provides them.
    DATABASE_URL may contain `{service}`, replaced by the service name, so one template serves every
    service with its own role and schema (the local PostgreSQL script creates role = schema = service).
    """

    model_config = SettingsConfigDict(env_prefix="CME_", extra="ignore")

    service_name: str = "cme"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "CME_KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: str | None = Field(default=None, description="CA bundle for the brokers' TLS certificates")
    database_url_template: str = Field(
        default="postgresql+asyncpg://{service}:{service}@127.0.0.1:5432/cme",
        validation_alias=AliasChoices("DATABASE_URL", "CME_DATABASE_URL"),
    )
    db_schema: str | None = Field(default=None, description="Defaults to the service name")
    db_pool_size: int = 5
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    consumer_group_prefix: str = "cme"
    topic_prefix: str = Field(default="", description="Lets tests run isolated copies of every topic")
    log_level: str = "INFO"
    start_consumers: bool = True
    processing_attempts: int = Field(
        default=5, description="Tries before a message that keeps failing for an unknown reason is dead-lettered"
    )
    trace_sql_statements: bool = Field(
        default=False,
        description="A span for every SQL statement: for diagnosing a slow handler. It cost a fifth of each "
        "service's CPU under load (docs/performance.md), so it is off unless asked for",
    )
    retry_backoff_max_seconds: float = Field(
        default=10.0, description="Longest wait between retries of a message while PostgreSQL or Kafka is down"
    )

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Self:
        # Without this, aiokafka fails deep in its handshake with an AttributeError that names no setting.
        if self.kafka_security_protocol.startswith("SASL") and not (self.kafka_username and self.kafka_password):
            raise ValueError(
                f"CME_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs CME_KAFKA_USERNAME and "
                "CME_KAFKA_PASSWORD"
            )
        return self

    @property
    def database_url(self) -> str:
        return self.database_url_template.replace("{service}", self.service_name)

    @property
    def schema_name(self) -> str:
        return self.db_schema or self.service_name

    @property
    def consumer_group(self) -> str:
        return f"{self.consumer_group_prefix}.{self.service_name}"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"
