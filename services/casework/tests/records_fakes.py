"""In-memory stand-ins (subclasses of the ports) for the case records' service-layer tests: the records beside a
case, the case repository, the audit log, and the view check (which reads teams from PostgreSQL for real)."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.casework.adapters.accounts import Accounts, User
from services.casework.adapters.audit import AuditedAction, AuditLog
from services.casework.adapters.case_records import (
    AcknowledgedMeanwhile,
    CaseRecords,
    CaseSummary,
    SuggestedSibling,
)
from services.casework.adapters.repository import CaseRepository, ConcurrentChange, reference_for
from services.casework.adapters.returns import CaseReturns, ReturnRecord
from services.casework.domain.access import can_view_case
from services.casework.domain.audit import AuditEntry, JsonScalar
from services.casework.domain.case import Case
from services.casework.domain.case_records import (
    AddressEntry,
    AddressRecord,
    FfdAcknowledgement,
    FfdPrompt,
    SiblingLink,
)
from services.casework.service_layer.cases import CaseworkService
from services.casework.service_layer.officer_actions import OfficerActions


class FakeCaseRepository(CaseRepository):
    def __init__(self, cases: Sequence[Case] = ()) -> None:
        self.cases = {case.case_id: case for case in cases}
        self.timeline: list[dict[str, Any]] = []

    async def lock_child(self, session: Any, child_id: str) -> None:
        return None

    async def for_child(self, session: Any, child_id: str) -> list[Case]:
        return [case for case in self.cases.values() if case.child_id == child_id]

    async def get(self, session: Any, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    async def child_of(self, session: Any, case_id: str) -> str | None:
        case = self.cases.get(case_id)
        return case.child_id if case else None

    async def save(self, session: Any, case: Case, expected_version: int) -> None:
        if case.case_id not in self.cases:
            raise ConcurrentChange(case.case_id)
        self.cases[case.case_id] = case

    async def add_timeline(self, session: Any, entries: Sequence[dict[str, Any]]) -> None:
        self.timeline.extend(entries)


class FakeCaseRecords(CaseRecords):
    def __init__(self, repository: FakeCaseRepository) -> None:
        self.repository = repository
        self.links: list[SiblingLink] = []
        self.suggestions: dict[tuple[str, str], str] = {}
        self.address_rows: list[AddressRecord] = []
        self.prompts: dict[tuple[str, str], FfdPrompt] = {}

    async def sibling_links(self, session: Any, case_id: str) -> list[SiblingLink]:
        return [link for link in self.links if case_id in (link.case_id, link.sibling_case_id)]

    async def add_sibling_link(self, session: Any, link: SiblingLink) -> None:
        if all((each.case_id, each.sibling_case_id) != (link.case_id, link.sibling_case_id) for each in self.links):
            self.links.append(link)

    async def suggested_siblings(self, session: Any, case_id: str) -> list[SuggestedSibling]:
        found = []
        for (suggested_for, child_id) in self.suggestions:
            if suggested_for == case_id:
                cases = await self.repository.for_child(session, child_id)
                found.append(SuggestedSibling(child_id, _summary(cases[0]) if cases else None))
        return found

    async def add_suggested_siblings(
        self, session: Any, case_id: str, referral_id: str, child_ids: Sequence[str], at: datetime
    ) -> None:
        for child_id in child_ids:
            self.suggestions.setdefault((case_id, child_id), referral_id)

    async def case_summaries(self, session: Any, case_ids: Sequence[str]) -> list[CaseSummary]:
        return [_summary(self.repository.cases[case_id]) for case_id in case_ids]

    async def addresses(self, session: Any, case_id: str) -> list[AddressRecord]:
        rows = [row for row in self.address_rows if row.case_id == case_id]
        return sorted(rows, key=lambda row: (row.recorded_at, row.record_id), reverse=True)

    async def add_address(
        self, session: Any, case_id: str, entry: AddressEntry, by: str, at: datetime
    ) -> AddressRecord:
        record = AddressRecord(len(self.address_rows) + 1, case_id, entry, by, at)
        self.address_rows.append(record)
        return record

    async def ffd_prompts(self, session: Any, case_id: str) -> list[FfdPrompt]:
        return [prompt for (for_case, _), prompt in self.prompts.items() if for_case == case_id]

    async def add_ffd_prompt(self, session: Any, prompt: FfdPrompt) -> None:
        self.prompts.setdefault((prompt.case_id, prompt.referral_id), prompt)

    async def acknowledge_ffd(
        self, session: Any, case_id: str, referral_id: str, acknowledgement: FfdAcknowledgement
    ) -> None:
        prompt = self.prompts[(case_id, referral_id)]
        if not prompt.outstanding:
            raise AcknowledgedMeanwhile(case_id)
        self.prompts[(case_id, referral_id)] = replace(prompt, acknowledgement=acknowledgement)


class FakeAuditLog(AuditLog):
    def __init__(self) -> None:
        self.actions: list[AuditedAction] = []

    async def record(
        self, session: Any, *, actor_id: str, action: str, record_type: str, record_id: str,
        details: Mapping[str, JsonScalar] | None = None,
    ) -> AuditEntry:
        self.actions.append(AuditedAction(actor_id, action, record_type, record_id, details))
        return None  # type: ignore[return-value]  # the use cases do not read the entry back

    async def record_many(self, session: Any, actions: Sequence[AuditedAction]) -> list[AuditEntry]:
        self.actions.extend(actions)
        return []


class FakeOfficerActions(OfficerActions):
    """Sees as access.can_view_case would, with each case's team given rather than read from PostgreSQL."""

    def __init__(self, service: CaseworkService, audit: FakeAuditLog, teams: Mapping[str, str]) -> None:
        super().__init__(service, Accounts(), audit)
        self.teams = teams

    async def may_view(self, session: Any, user: User, case: Case) -> bool:
        return can_view_case(user.actor, case.officer_id, self.teams.get(case.officer_id or ""))


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(case.case_id, case.child_id, reference_for(case.case_id), case.child.given_name,
                       case.child.family_name, case.child.date_of_birth, case.status.value)


class FakeReturns(CaseReturns):
    def __init__(self) -> None:
        self.rows: dict[str, ReturnRecord] = {}

    async def add(self, session: Any, record: ReturnRecord) -> None:
        self.rows.setdefault(record.referral_id, record)

    async def for_case(self, session: Any, case_id: str) -> list[ReturnRecord]:
        return [row for row in self.rows.values() if row.case_id == case_id]
