"""Casework's outbound client for intake's document store: the bytes of a document sent with a return, streamed
from intake's internal API (`GET /internal/v1/documents/{id}`, the service token, the acting officer named in
`X-Acting-User`). Casework decides who may download and audits it; intake only serves the service.

`open` answers once intake has answered, so a missing document (`DocumentNotFound`) or intake being down
(`DocumentsUnavailable`) is known before the officer's response starts; the bytes then stream through in chunks
and the connection is closed when they end (or the officer goes away).
"""

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import httpx

CHUNK_BYTES = 64 * 1024


class DocumentsUnavailable(RuntimeError):
    """Intake's internal API did not answer, or answered unexpectedly."""


class DocumentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class DocumentStream:
    content_type: str
    content_length: int | None
    chunks: AsyncGenerator[bytes, None]


class IntakeDocuments(ABC):
    """The port the download page uses to reach intake's stored documents."""

    @abstractmethod
    async def open(self, document_id: str, acting_user: str) -> DocumentStream: ...


class HttpIntakeDocuments(IntakeDocuments):
    def __init__(self, base_url: str, token: str | None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/internal/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout

    async def open(self, document_id: str, acting_user: str) -> DocumentStream:
        client = httpx.AsyncClient(timeout=self.timeout, headers=self.headers)
        try:
            request = client.build_request(
                "GET", f"{self.base_url}/documents/{document_id}", headers={"X-Acting-User": acting_user}
            )
            response = await client.send(request, stream=True)
        except httpx.HTTPError as error:
            await client.aclose()
            raise DocumentsUnavailable("intake's document API did not answer") from error
        if response.status_code != 200:
            await response.aclose()
            await client.aclose()
            if response.status_code == 404:
                raise DocumentNotFound(document_id)
            raise DocumentsUnavailable(f"intake's document API answered {response.status_code}")

        async def chunks() -> AsyncGenerator[bytes, None]:
            try:
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    yield chunk
            finally:
                await response.aclose()
                await client.aclose()

        length = response.headers.get("content-length", "")
        return DocumentStream(
            content_type=response.headers.get("content-type", "application/octet-stream"),
            content_length=int(length) if length.isdigit() else None,
            chunks=chunks(),
        )
