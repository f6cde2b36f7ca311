"""API keys: one per upstream system for the submission API, and separate ones for the internal endpoints."""

import hmac
from collections.abc import Awaitable, Callable, Mapping

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader

API_KEY_HEADER = "X-API-Key"


class ApiKeys:
    """Keys mapped to the name of the system holding each. With no keys configured, `open_when_empty`
    decides: the submission API is then open (development), the internal endpoints closed."""

    def __init__(self, keys: Mapping[str, str], *, open_when_empty: bool, scheme_name: str, description: str) -> None:
        self._keys = dict(keys)
        self.open = open_when_empty and not self._keys
        self.header = APIKeyHeader(
            name=API_KEY_HEADER, scheme_name=scheme_name, description=description, auto_error=False
        )

    def client_for(self, key: str | None) -> str | None:
        """The client's name; None when the API is open. Raises a 401 for a missing or unknown key."""
        if self.open:
            return None
        # Every key is compared, in constant time, so the time taken does not tell how close a guess was.
        found = None
        for known, client in self._keys.items():
            if key is not None and hmac.compare_digest(known.encode(), key.encode()):
                found = client
        if found is None:
            raise HTTPException(
                status_code=401,
                detail=f"Send a valid API key in the {API_KEY_HEADER} header",
                headers={"WWW-Authenticate": API_KEY_HEADER},
            )
        return found

    def dependency(self) -> Callable[..., Awaitable[str | None]]:
        async def client(key: str | None = Security(self.header)) -> str | None:
            return self.client_for(key)

        return client
