"""How a signed envelope reaches a partner authority: its topic on the shared Kafka, or its HTTPS endpoint.

The envelope's bytes are the message; the CloudEvents headers beside them (`ce_id`, `ce_type`, `ce_source`) are
hints for routing and tracing only, and a receiver never trusts them.
"""

import asyncio
import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from cme_runtime.exchange_signing import ENVELOPE_CONTENT_TYPE
from contracts.envelope import SPEC_VERSION
from contracts.exchange.messages_v1 import exchange_topic, la_source


class ExchangeDeliveryError(Exception):
    """The text is a status code or an exception type: never the envelope."""


class TemporaryExchangeError(ExchangeDeliveryError):
    """5xx, timeouts, a broker away: the same bytes may go through later."""


class PermanentExchangeError(ExchangeDeliveryError):
    """The partner refused the request itself (4xx other than 409): resending the same bytes cannot help."""


@dataclass(frozen=True)
class Route:
    transport: str  # "kafka" or "https"
    url: str | None = None


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    message_type: str
    from_la: str
    to_la: str
    route: Route
    body: bytes = field(repr=False)


class ExchangeTransport(ABC):
    """The port the exchange sender delivers envelopes through."""

    @abstractmethod
    async def deliver(self, outgoing: Outgoing) -> None:
        """Hand the envelope over; raises TemporaryExchangeError or PermanentExchangeError."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections (a producer, an HTTP client pool)."""


class KafkaExchangeTransport(ExchangeTransport):
    def __init__(self, bootstrap_servers: str, topic_prefix: str = "", **options: Any) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._topic_prefix = topic_prefix
        self._options = options
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers,
                    acks="all",
                    enable_idempotence=True,
                    client_id="cme-notify-exchange",
                    **self._options,
                )
                await producer.start()
                self._producer = producer
            return self._producer

    def topic(self, to_la: str) -> str:
        # The exchange's own prefix only: the suite's topic prefix must not apply to topics partners share.
        return self._topic_prefix + exchange_topic(to_la)

    async def deliver(self, outgoing: Outgoing) -> None:
        try:
            producer = await self._started()
            await producer.send_and_wait(
                self.topic(outgoing.to_la),
                value=outgoing.body,
                key=outgoing.to_la.encode(),
                headers=[
                    ("content-type", ENVELOPE_CONTENT_TYPE.encode()),
                    ("ce_specversion", SPEC_VERSION.encode()),
                    ("ce_id", outgoing.message_id.encode()),
                    ("ce_type", outgoing.message_type.encode()),
                    ("ce_source", la_source(outgoing.from_la).encode()),
                ],
            )
        except (KafkaError, OSError, TimeoutError) as error:
            # A producer an error left unusable is replaced on the next try.
            await self.close()
            raise TemporaryExchangeError(type(error).__name__) from None

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(KafkaError, OSError):
                await producer.stop()


class HttpsExchangeTransport(ExchangeTransport):
    """The CloudEvents HTTP binding: the envelope is the body; 409 means the receiver already holds this id, so an
    earlier try whose answer was lost did land."""

    def __init__(self, timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_seconds, transport=transport, follow_redirects=False)

    async def deliver(self, outgoing: Outgoing) -> None:
        if not outgoing.route.url:
            raise PermanentExchangeError("no URL configured")
        try:
            response = await self._client.post(
                outgoing.route.url,
                content=outgoing.body,
                headers={
                    "Content-Type": ENVELOPE_CONTENT_TYPE,
                    "ce-specversion": SPEC_VERSION,
                    "ce-id": outgoing.message_id,
                    "ce-type": outgoing.message_type,
                    "ce-source": la_source(outgoing.from_la),
                },
            )
        except httpx.TransportError as error:
            raise TemporaryExchangeError(type(error).__name__) from None
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return
        if status == 429 or status >= 500 or status == 408:
            raise TemporaryExchangeError(f"HTTP {status}")
        raise PermanentExchangeError(f"HTTP {status}")

    async def close(self) -> None:
        await self._client.aclose()


class RoutedTransport(ExchangeTransport):
    """Delivers by each message's route."""

    def __init__(self, kafka: ExchangeTransport, https: ExchangeTransport) -> None:
        self._by_name = {"kafka": kafka, "https": https}

    async def deliver(self, outgoing: Outgoing) -> None:
        transport = self._by_name.get(outgoing.route.transport)
        if transport is None:
            raise PermanentExchangeError(f"unknown transport {outgoing.route.transport}")
        await transport.deliver(outgoing)

    async def close(self) -> None:
        for transport in self._by_name.values():
            await transport.close()
