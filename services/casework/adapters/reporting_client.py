"""Casework's outbound client for reporting's internal API: the weekly Missing Mondays pack the officers' UI shows
(an HTML fragment embedded in casework's own layout) and offers for download (PDF, zipped CSV files); the schools'
reporting habits and off-rolling signals; the DfE termly return's CSV."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import httpx

PackFormat = Literal["fragment", "pdf", "csv"]
# Reporting names the cases on the pack's agenda (ids only) so each view of a named child is audited here.
CASE_IDS_HEADER = "X-CME-Case-Ids"


@dataclass(frozen=True)
class PackDocument:
    body: bytes
    agenda_case_ids: tuple[str, ...]


class ReportsUnavailable(RuntimeError):
    """Reporting's internal API did not answer (or answered unexpectedly)."""


class CensusDateRefused(ValueError):
    """Reporting refused the census date; the message says the rule in words (which day the census day is)."""


@dataclass(frozen=True)
class SchoolSignal:
    title: str
    explanation: str
    count: int
    off_rolling: bool


@dataclass(frozen=True)
class RankedSchoolEntry:
    rank: int
    school_id: str
    signals: tuple[SchoolSignal, ...]


@dataclass(frozen=True)
class SchoolsList:
    first: date
    last: date
    ranked: tuple[RankedSchoolEntry, ...]
    schools: tuple[str, ...]
    """Every school heard from or about in the period, flagged or not."""


@dataclass(frozen=True)
class TermRow:
    term: str
    joiners_on_time: int
    joiners_late: int
    joiners_standard_transition: int
    leavers_on_time: int
    leavers_late: int
    leavers_standard_transition: int
    deletions_without_return: int
    leavers_by_ground: tuple[tuple[str, str, int], ...]
    """(ground code, the code with its description, leavers)"""
    rejected: int
    rejected_by_problem: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class SchoolPage:
    school_id: str
    first: date
    last: date
    rank: int | None
    terms: tuple[TermRow, ...]
    totals: TermRow
    signals: tuple[SchoolSignal, ...]


@dataclass(frozen=True)
class DfeReturnCsv:
    census_date: date
    body: bytes


def _signal(data: dict[str, Any]) -> SchoolSignal:
    return SchoolSignal(data["title"], data["explanation"], int(data["count"]), bool(data["off_rolling"]))


def _term(data: dict[str, Any]) -> TermRow:
    return TermRow(
        term=data["term"],
        joiners_on_time=data["joiners_on_time"],
        joiners_late=data["joiners_late"],
        joiners_standard_transition=data["joiners_standard_transition"],
        leavers_on_time=data["leavers_on_time"],
        leavers_late=data["leavers_late"],
        leavers_standard_transition=data["leavers_standard_transition"],
        deletions_without_return=data["deletions_without_return"],
        leavers_by_ground=tuple((code, label, count) for code, label, count in data["leavers_by_ground"]),
        rejected=data["rejected"],
        rejected_by_problem=tuple((problem, count) for problem, count in data["rejected_by_problem"]),
    )


class Reports(ABC):
    """The port casework's Reports pages use to reach the reporting service."""

    @abstractmethod
    async def last_week(self) -> date: ...

    @abstractmethod
    async def pack(self, week: date, fmt: PackFormat, *, counts_only: bool, user_id: str) -> PackDocument:
        """The pack for the week beginning `week`; `user_id` names the acting user to reporting."""

    @abstractmethod
    async def schools(self, *, user_id: str) -> SchoolsList:
        """Schools over the last year, those with signals ranked."""

    @abstractmethod
    async def school(self, school_id: str, *, user_id: str) -> SchoolPage:
        """One school's terms and signals over the last year (empty when it sent nothing)."""

    @abstractmethod
    async def latest_census_date(self) -> date: ...

    @abstractmethod
    async def dfe_return(self, census_date: date, *, user_id: str) -> DfeReturnCsv:
        """The DfE termly return's CSV for that census day; CensusDateRefused when it is not one."""


class HttpReports(Reports):
    def __init__(self, base_url: str, token: str | None, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/") + "/internal/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.get(self.base_url + path, params=params)
        except httpx.HTTPError as error:
            raise ReportsUnavailable("reporting's internal API did not answer") from error
        if response.status_code != 200:
            raise ReportsUnavailable(f"reporting's internal API answered {response.status_code}")
        return response

    async def last_week(self) -> date:
        return date.fromisoformat((await self._get("/packs/last-week")).json()["week_start"])

    async def pack(self, week: date, fmt: PackFormat, *, counts_only: bool, user_id: str) -> PackDocument:
        response = await self._get(
            f"/packs/{week.isoformat()}/{fmt}", {"counts_only": str(counts_only).lower(), "by": user_id}
        )
        named = response.headers.get(CASE_IDS_HEADER, "")
        return PackDocument(response.content, tuple(each for each in named.split(",") if each))

    async def schools(self, *, user_id: str) -> SchoolsList:
        data = (await self._get("/schools", {"by": user_id})).json()
        return SchoolsList(
            first=date.fromisoformat(data["first"]),
            last=date.fromisoformat(data["last"]),
            ranked=tuple(
                RankedSchoolEntry(entry["rank"], entry["school_id"], tuple(_signal(s) for s in entry["signals"]))
                for entry in data["ranked"]
            ),
            schools=tuple(data["schools"]),
        )

    async def school(self, school_id: str, *, user_id: str) -> SchoolPage:
        data = (await self._get(f"/schools/{school_id}", {"by": user_id})).json()
        return SchoolPage(
            school_id=data["school_id"],
            first=date.fromisoformat(data["first"]),
            last=date.fromisoformat(data["last"]),
            rank=data["rank"],
            terms=tuple(_term(each) for each in data["terms"]),
            totals=_term(data["totals"]),
            signals=tuple(_signal(s) for s in data["signals"]),
        )

    async def latest_census_date(self) -> date:
        return date.fromisoformat((await self._get("/dfe-returns/latest")).json()["census_date"])

    async def dfe_return(self, census_date: date, *, user_id: str) -> DfeReturnCsv:
        path = f"/dfe-returns/{census_date.isoformat()}/csv"
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.get(self.base_url + path, params={"by": user_id})
        except httpx.HTTPError as error:
            raise ReportsUnavailable("reporting's internal API did not answer") from error
        if response.status_code == 422:
            raise CensusDateRefused(str(response.json().get("detail", "That is not a census day")))
        if response.status_code != 200:
            raise ReportsUnavailable(f"reporting's internal API answered {response.status_code}")
        return DfeReturnCsv(census_date, response.content)
