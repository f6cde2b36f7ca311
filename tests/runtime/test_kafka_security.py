"""Kafka credentials and TLS reach both FastStream and aiokafka from the same settings."""

import ssl

import pytest
from faststream.security import SASLScram512
from pydantic import ValidationError

from cme_runtime.kafka_security import aiokafka_options, faststream_security
from cme_runtime.settings import ServiceSettings


def test_a_developer_machine_uses_plaintext_without_credentials() -> None:
    settings = ServiceSettings()
    assert faststream_security(settings) is None
    assert aiokafka_options(settings) == {"security_protocol": "PLAINTEXT"}


def test_strimzi_scram_over_tls_configures_both_clients() -> None:
    settings = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_username="cme-intake", kafka_password="s3cret")
    security = faststream_security(settings)
    assert isinstance(security, SASLScram512)
    assert (security.username, security.password, security.use_ssl) == ("cme-intake", "s3cret", True)
    options = aiokafka_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("cme-intake", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_the_password_never_appears_in_the_settings_repr() -> None:
    settings = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_username="u", kafka_password="s3cret")
    assert "s3cret" not in repr(settings)


def test_sasl_without_credentials_is_refused_at_start_up_naming_the_settings() -> None:
    with pytest.raises(ValidationError, match="CME_KAFKA_USERNAME and CME_KAFKA_PASSWORD"):
        ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_username="cme-intake")
