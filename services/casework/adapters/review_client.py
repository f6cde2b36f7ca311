"""Casework's outbound client for review's internal API: the Missing Mondays forms the officers' UI shows and the
meeting's commands it passes on (the acting user named in each request; review applies the meeting's rules).

Forms come back as plain dicts (review's JSON); the pages read them. Review refusing a command under its rules
is `MeetingRefused` with review's own words; review not answering is `MeetingUnavailable`.
"""

from abc import ABC, abstractmethod
from datetime import date
from typing import Any

import httpx

Form = dict[str, Any]


class MeetingUnavailable(RuntimeError):
    """Review's internal API did not answer (or answered unexpectedly)."""


class MeetingRefused(ValueError):
    """Review refused the command under a rule of the meeting (the message names the rule, never a child)."""


class ReviewNotFound(LookupError):
    pass


class ReviewMeetings(ABC):
    """The port casework's pages use to reach the Missing Mondays meeting."""

    @abstractmethod
    async def next_meeting(self, today: date) -> date: ...

    @abstractmethod
    async def agenda(self, meeting_date: date) -> list[Form]: ...

    @abstractmethod
    async def sign_off_queue(self) -> list[Form]: ...

    @abstractmethod
    async def for_case(self, case_id: str) -> list[Form]: ...

    @abstractmethod
    async def command(self, review_id: str, action: str, body: dict[str, Any]) -> Form:
        """`action`: score, concerns, pass-to-senior-officer, sign-off or withdraw."""


class HttpReviewMeetings(ReviewMeetings):
    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/internal/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as error:
            raise MeetingUnavailable("review's internal API did not answer") from error
        if response.status_code == 404:
            raise ReviewNotFound(path)
        if response.status_code in {409, 422}:
            detail = response.json().get("detail")
            raise MeetingRefused(detail if isinstance(detail, str) else "the meeting's rules refused this")
        if response.status_code != 200:
            raise MeetingUnavailable(f"review's internal API answered {response.status_code}")
        return response.json()

    async def next_meeting(self, today: date) -> date:
        found = await self._request("GET", "/meetings/next", params={"today": today.isoformat()})
        return date.fromisoformat(found["meeting_date"])

    async def agenda(self, meeting_date: date) -> list[Form]:
        forms: list[Form] = await self._request("GET", f"/meetings/{meeting_date.isoformat()}/agenda")
        return forms

    async def sign_off_queue(self) -> list[Form]:
        forms: list[Form] = await self._request("GET", "/sign-off-queue")
        return forms

    async def for_case(self, case_id: str) -> list[Form]:
        forms: list[Form] = await self._request("GET", f"/cases/{case_id}/reviews")
        return forms

    async def command(self, review_id: str, action: str, body: dict[str, Any]) -> Form:
        form: Form = await self._request("POST", f"/reviews/{review_id}/{action}", json=body)
        return form
