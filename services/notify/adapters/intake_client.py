"""Intake's child lookup, for answering another authority's enquiry: is this child known here, and on a roll?

`POST {CME_INTAKE_API_URL}/internal/v1/children/lookup` with the suite's service token, naming the acting
authority (`exchange:<LA code>`) so intake can audit who asked. Connection errors, timeouts and 5xx are transient
(the caller waits and retries); anything else unexpected is an error of ours or intake's, never the child's data.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ValidationError

from contracts.events.common_v1 import Child, School
from contracts.exchange.messages_v1 import EnquiryOutcome

LOOKUP_PATH = "/internal/v1/children/lookup"


class LookupUnavailable(ConnectionError):
    """Intake could not answer now (down, slow, 5xx): transient, so a consumer waits it out."""


class LookupFailed(RuntimeError):
    """Intake answered, but not as agreed (4xx, a body that is not the contract): a deployment error."""


@dataclass(frozen=True)
class LookupResult:
    outcome: EnquiryOutcome
    school: School | None = None


class ChildLookup(ABC):
    """The port the exchange answers enquiries through."""

    @abstractmethod
    async def lookup(self, child: Child, asking_la: str) -> LookupResult:
        """What this authority knows of `child`; raises LookupUnavailable when intake cannot answer now."""


class _Answer(BaseModel):
    outcome: EnquiryOutcome
    school: School | None = None


class IntakeChildLookup(ChildLookup):
    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + LOOKUP_PATH
        self._token = token
        self._timeout = timeout_seconds
        self._transport = transport

    async def lookup(self, child: Child, asking_la: str) -> LookupResult:
        if not self._token:
            raise LookupFailed("no internal API token configured")
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
                response = await client.post(
                    self._url,
                    json={"acting_user": f"exchange:{asking_la}", "child": child.model_dump(mode="json")},
                    headers={"Authorization": f"Bearer {self._token}"},
                )
        except httpx.TransportError as error:
            raise LookupUnavailable(type(error).__name__) from None
        if response.status_code >= 500:
            raise LookupUnavailable(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise LookupFailed(f"HTTP {response.status_code}")
        try:
            answer = _Answer.model_validate_json(response.content)
        except ValidationError:
            raise LookupFailed("the answer does not match the lookup contract") from None
        return LookupResult(answer.outcome, answer.school)
