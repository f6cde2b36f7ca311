"""The returns behind a case: the leaving ground read in its own coding and as its 2024 equivalent, and the
return kept against the child's case after the decision was handled (a later return adds a row, a repeat none).
In-memory fakes of the ports; SqlCaseReturns runs against PostgreSQL in tests/e2e/test_documents.py."""

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from cme_runtime.testing import TRANSACTION
from contracts.envelope import CloudEventAttributes
from contracts.events.common_v1 import Child, Document, DocumentKind, OrganisationType, Referrer, School
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from services.casework.domain.returns import read_ground
from services.casework.entrypoints.web.pages_documents import return_view
from services.casework.service_layer.returns import ReturnsService, return_record
from services.casework.tests.factories import allocated_case
from services.casework.tests.records_fakes import FakeCaseRepository, FakeReturns

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_a_2006_ground_reads_with_its_2024_equivalents() -> None:
    reading = read_ground("8(1)(a)")
    assert (reading.regulations, [g.code for g in reading.in_2024]) == ("2006", ["9(1)(d)", "9(1)(e)"])
    assert [g.code for g in read_ground("8(1)(e)").in_2024] == ["9(1)(g)"]


def test_a_2024_ground_is_its_own_equivalent_and_8_1_g_has_none() -> None:
    reading = read_ground("9(1)(g)")
    assert (reading.regulations, [g.code for g in reading.in_2024]) == ("2024", ["9(1)(g)"])
    assert read_ground("8(1)(g)").in_2024 == ()
    assert not read_ground("7(2)(z)").known


def decided(child_id: str, *, code: str = "8(1)(e)", document_id: Any = None) -> TriageDecided:
    return TriageDecided(
        decision_id=uuid4(), referral_id=uuid4(), child_id=child_id, decided_at=NOW, is_cme=True,
        track=Track.CME_ENQUIRY, priority=Priority.P2, rules_version="test", kind=ReferralKind.LEAVER,
        child=Child(given_name="Test", family_name="Child"),
        school=School(establishment_id="8852001", name="Test School"),
        leaving_ground=LeavingGround(code=code, legal_source=LegalSource.REGS_2006),
        submission_id=f"return-{uuid4().hex[:6]}", received_at=NOW, referral_date=date(2026, 11, 27),
        referrer=Referrer(organisation_type=OrganisationType.SCHOOL, organisation="Test School", name="A Head"),
        documents=(Document(kind=DocumentKind.LEARNER_PROFILE, reference=str(document_id), document_id=document_id,
                            content_type="application/pdf", size=2048, sha256="a" * 64, filename="lp.pdf"),)
        if document_id else (),
    )


def attributes() -> CloudEventAttributes:
    return CloudEventAttributes(id=str(uuid4()), source="test", type=TriageDecided.event_type, time=NOW)


async def test_each_decision_keeps_its_return_on_the_childs_case_after_it_was_handled() -> None:
    child_id = str(uuid4())
    repository = FakeCaseRepository([allocated_case("case-1", child_id=child_id)])
    handled: list[str] = []

    async def then(session: Any, attrs: CloudEventAttributes, decision: TriageDecided) -> None:
        handled.append(str(decision.referral_id))

    returns = FakeReturns()
    service = ReturnsService(returns, repository, then)
    first, second = decided(child_id, document_id=uuid4()), decided(child_id, code="9(1)(g)")
    await service.on_triage_decided(TRANSACTION, attributes(), first)
    await service.on_triage_decided(TRANSACTION, attributes(), second)
    await service.on_triage_decided(TRANSACTION, attributes(), first)

    rows = await service.for_case(TRANSACTION, "case-1")
    assert [row.referral_id for row in rows] == [str(first.referral_id), str(second.referral_id)]
    assert handled == [str(first.referral_id), str(second.referral_id), str(first.referral_id)]
    row = rows[0]
    assert (row.kind, row.leaving_ground, row.legal_source, row.leaving_date) == (
        "leaver", "8(1)(e)", "2006", date(2026, 11, 27))
    assert row.referrer == {"organisation_type": "school", "organisation": "Test School", "name": "A Head"}
    assert row.documents[0]["filename"] == "lp.pdf"


async def test_no_case_no_return() -> None:
    returns = FakeReturns()

    async def then(session: Any, attrs: CloudEventAttributes, decision: TriageDecided) -> None:
        return None

    await ReturnsService(returns, FakeCaseRepository(), then).on_triage_decided(
        TRANSACTION, attributes(), decided(str(uuid4())))
    assert returns.rows == {}


def test_the_case_page_shows_the_ground_its_2024_equivalent_and_a_download_link() -> None:
    document_id = uuid4()
    view = return_view(return_record(decided(str(uuid4()), document_id=document_id), "case-9"))
    assert view["kind"] == "Leaver (deletion) return"
    assert view["ground_text"].startswith("8(1)(e) (2006 regulations): moved away")
    assert view["ground_2024"].startswith("9(1)(g): moved away")
    assert view["leaving_date"] == "27 November 2026"
    assert str(view["submitter"]) == "A Head<br>Test School"
    assert f'href="/cases/case-9/documents/{document_id}"' in str(view["documents_html"])
    assert "lp.pdf (PDF, 2 KB)" in str(view["documents_html"])
