"""Kafka authentication and encryption, from settings: plaintext on a developer machine, SASL/SCRAM over TLS
(Strimzi's KafkaUser with `authentication: scram-sha-512`) or TLS in a cluster."""

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from cme_runtime.settings import ServiceSettings


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    return ssl.create_default_context(cafile=settings.kafka_ca_file)


def faststream_security(settings: ServiceSettings) -> BaseSecurity | None:
    context = _ssl_context(settings)
    if not settings.kafka_security_protocol.startswith("SASL"):
        return BaseSecurity(ssl_context=context) if context else None
    username = settings.kafka_username or ""
    password = settings.kafka_password.get_secret_value() if settings.kafka_password else ""
    mechanisms: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }
    return mechanisms[settings.kafka_sasl_mechanism](
        username, password, ssl_context=context, use_ssl=context is not None
    )


def aiokafka_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if context := _ssl_context(settings):
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_username,
            sasl_plain_password=settings.kafka_password.get_secret_value() if settings.kafka_password else None,
        )
    return options
