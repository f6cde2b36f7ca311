"""Casework's outbound client for intake's internal API: referrals officers enter (and the form's drafts between
its pages), and the identity match reviews officers decide. The acting officer is named in every request; intake
applies its own rules.

Intake refusing a referral comes back as `ReferralRejected` with intake's problems (field and message); refusing a
match-review decision is `MatchDecisionRefused` with intake's words; intake not answering is `IntakeUnavailable`.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import httpx

Json = dict[str, Any]


class IntakeUnavailable(RuntimeError):
    """Intake's internal API did not answer (or answered unexpectedly)."""


class IntakeNotFound(LookupError):
    pass


class MatchDecisionRefused(ValueError):
    """Intake refused a match-review decision under its rules (the message names the rule, never a child)."""


@dataclass(frozen=True)
class IntakeProblem:
    field: str
    message: str


class ReferralRejected(ValueError):
    def __init__(self, problems: list[IntakeProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class EnteredReferral:
    submission_id: str
    child_id: str | None
    duplicate: bool


class IntakeReferrals(ABC):
    """The port casework's referral-form and match-review pages use to reach intake."""

    @abstractmethod
    async def enter_referral(self, acting_user: str, received_by_channel: str, submission: Json) -> EnteredReferral:
        """Raises ReferralRejected with intake's problems when intake's rules refuse it."""

    @abstractmethod
    async def entered_referral(self, submission_id: str) -> Json: ...

    @abstractmethod
    async def draft(self, draft_id: str, acting_user: str) -> Json:
        """The draft's answers; IntakeNotFound when there is none for this officer."""

    @abstractmethod
    async def save_draft(self, draft_id: str, acting_user: str, answers: Json) -> None: ...

    @abstractmethod
    async def delete_draft(self, draft_id: str, acting_user: str) -> None: ...

    @abstractmethod
    async def match_reviews(self, status: str) -> list[Json]: ...

    @abstractmethod
    async def match_review(self, review_id: str) -> Json: ...

    @abstractmethod
    async def decide(self, review_id: str, acting_user: str, same_child: bool, reason: str) -> Json: ...

    @abstractmethod
    async def undo(self, review_id: str, acting_user: str, reason: str) -> Json: ...


class HttpIntakeReferrals(IntakeReferrals):
    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/internal/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                return await client.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as error:
            raise IntakeUnavailable("intake's internal API did not answer") from error

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._send(method, path, **kwargs)
        if response.status_code == 404:
            raise IntakeNotFound(path)
        if response.status_code in {409, 422}:
            detail = response.json().get("detail")
            raise MatchDecisionRefused(detail if isinstance(detail, str) else "intake's rules refused this")
        if response.status_code != 200:
            raise IntakeUnavailable(f"intake's internal API answered {response.status_code}")
        return response.json()

    async def enter_referral(self, acting_user: str, received_by_channel: str, submission: Json) -> EnteredReferral:
        body = {"acting_user": acting_user, "received_by_channel": received_by_channel, "submission": submission}
        response = await self._send("POST", "/officer-referrals", json=body)
        if response.status_code == 422 and isinstance(response.json().get("problems"), list):
            problems = [IntakeProblem(str(item["field"]), str(item["message"])) for item in response.json()["problems"]]
            raise ReferralRejected(problems)
        if response.status_code not in {200, 202}:
            raise IntakeUnavailable(f"intake's internal API answered {response.status_code}")
        accepted = response.json()
        return EnteredReferral(accepted["submission_id"], accepted.get("child_id"), bool(accepted.get("duplicate")))

    async def entered_referral(self, submission_id: str) -> Json:
        found: Json = await self._request("GET", f"/officer-referrals/{submission_id}")
        return found

    async def draft(self, draft_id: str, acting_user: str) -> Json:
        found: Json = await self._request("GET", f"/referral-drafts/{draft_id}", params={"acting_user": acting_user})
        answers: Json = found["answers"]
        return answers

    async def save_draft(self, draft_id: str, acting_user: str, answers: Json) -> None:
        body = {"acting_user": acting_user, "answers": answers}
        await self._request("PUT", f"/referral-drafts/{draft_id}", json=body)

    async def delete_draft(self, draft_id: str, acting_user: str) -> None:
        await self._request("DELETE", f"/referral-drafts/{draft_id}", params={"acting_user": acting_user})

    async def match_reviews(self, status: str) -> list[Json]:
        found: list[Json] = await self._request("GET", "/match-reviews", params={"status": status})
        return found

    async def match_review(self, review_id: str) -> Json:
        found: Json = await self._request("GET", f"/match-reviews/{review_id}")
        return found

    async def decide(self, review_id: str, acting_user: str, same_child: bool, reason: str) -> Json:
        body = {"acting_user": acting_user, "same_child": same_child, "reason": reason}
        decided: Json = await self._request("POST", f"/match-reviews/{review_id}/decision", json=body)
        return decided

    async def undo(self, review_id: str, acting_user: str, reason: str) -> Json:
        body = {"acting_user": acting_user, "reason": reason}
        undone: Json = await self._request("POST", f"/match-reviews/{review_id}/undo", json=body)
        return undone
