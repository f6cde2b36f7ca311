"""Reading a ReferralReceived into the facts triage decides on, and the decisions the service derives from them.

Every person here is invented.
"""

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from cme_runtime.outbox import Outbox
from contracts.events.common_v1 import (
    Child,
    Destination,
    EducationStatus,
    OrganisationType,
    Referrer,
    Safeguarding,
    School,
    SocialWorker,
)
from contracts.events.common_v1 import Vulnerability as ContractVulnerability
from contracts.events.referral_v1 import AttendanceConcern, LeavingGround, LegalSource, ReferralReceived
from contracts.events.referral_v1 import ReferralKind as ContractKind
from contracts.reference.school_days import SchoolCalendar, TermDatesExhausted
from services.triage.adapters.tables import outbox
from services.triage.adapters.watches import RecordedJoiner
from services.triage.domain.decision import Priority, ReferralFacts, ReferralKind
from services.triage.domain.rules import RuleOverrides, Track
from services.triage.domain.vulnerability import Vulnerability
from services.triage.service_layer.triage import TriageService, facts_from
from services.triage.tests.fakes import FakeDecisionRepository, FakeWatchRepository

REFERRED = date(2025, 11, 3)  # a Monday
OF_SCHOOL_AGE = date(2014, 5, 10)
SCHOOL = School(establishment_id="8852003", name="Tumbledown Lane Primary School (fictional)")
DECISIONS = FakeDecisionRepository()
SERVICE = TriageService(
    Outbox(outbox, source="/tests", schema="triage"),
    SchoolCalendar(),
    RuleOverrides(),
    decisions=DECISIONS,
    watches=FakeWatchRepository(DECISIONS),
)


def referral(kind: ContractKind, **fields_: Any) -> ReferralReceived:
    values: dict[str, Any] = {
        "referral_id": uuid4(),
        "child_id": uuid4(),
        "submission_id": f"test-{uuid4().hex}",
        "kind": kind,
        "received_at": datetime(2025, 11, 3, 10, 0, tzinfo=UTC),
        "referral_date": REFERRED,
        "child": Child(given_name="Ada", family_name="Testperson", date_of_birth=OF_SCHOOL_AGE),
        "school": SCHOOL,
    }
    values.update(fields_)
    return ReferralReceived(**values)


def ground(code: str) -> LeavingGround:
    return LeavingGround(code=code, legal_source=LegalSource.REGS_2024)


def leaver(code: str = "9(1)(g)", **fields_: Any) -> ReferralReceived:
    return referral(ContractKind.LEAVER, leaving_ground=ground(code), **fields_)


@pytest.mark.parametrize("kind", list(ContractKind))
def test_every_referral_kind_reads_as_the_same_kind_with_its_date_and_date_of_birth(kind: ContractKind) -> None:
    facts = facts_from(referral(kind))
    assert facts.referral_kind is ReferralKind(kind.value)
    assert facts.referral_date == REFERRED
    assert facts.date_of_birth == OF_SCHOOL_AGE


def test_a_referral_with_everything_known_fills_every_fact() -> None:
    facts = facts_from(
        referral(
            ContractKind.PROFESSIONAL_REFERRAL,
            leaving_ground=ground("9(1)(o)"),
            destination=Destination(school_id="8852001", la_code="884", country="France"),
            safeguarding=Safeguarding(
                looked_after=True,
                child_protection_plan=True,
                child_in_need=True,
                ehcp=True,
                safeguarding_concern=True,
                vulnerabilities=(ContractVulnerability.YOUNG_CARER,),
            ),
            education=EducationStatus(
                on_roll_elsewhere=True, electively_home_educated=True, in_alternative_provision=True, ap_taken_up=True
            ),
        )
    )
    defaults = ReferralFacts(referral_kind=facts.referral_kind, referral_date=facts.referral_date)
    left_at_default = [
        field.name for field in fields(ReferralFacts) if getattr(facts, field.name) == getattr(defaults, field.name)
    ]
    assert left_at_default == ["referral_kind", "referral_date"]


def test_a_leaver_carries_its_ground_and_named_destination_school() -> None:
    facts = facts_from(leaver("9(1)(a)", destination=Destination(school_id="8852001")))
    assert facts.leaving_ground == "9(1)(a)"
    assert facts.destination_school_known
    assert facts.destination_known
    assert not facts.moving_abroad


def test_a_leaver_with_no_destination_knows_none() -> None:
    facts = facts_from(leaver())
    assert (facts.destination_school_known, facts.destination_known, facts.moving_abroad) == (False, False, False)


@pytest.mark.parametrize(
    ("destination", "known", "abroad"),
    [
        (Destination(local_authority="Herefordshire"), True, False),
        (Destination(la_code="884"), True, False),
        (Destination(country="Poland"), True, True),
        (Destination(country=" poland "), True, True),
        (Destination(country="United Kingdom"), False, False),
        (Destination(country="U.K."), False, False),
        (Destination(country="England"), False, False),
        (Destination(country="Scotland"), True, False),
        (Destination(country=""), False, False),
        (Destination(), False, False),
    ],
)
def test_a_destination_is_known_from_a_local_authority_or_a_country_and_abroad_outside_the_uk(
    destination: Destination, known: bool, abroad: bool
) -> None:
    facts = facts_from(leaver(destination=destination))
    assert facts.destination_known is known
    assert facts.moving_abroad is abroad
    assert not facts.destination_school_known


def test_safeguarding_flags_and_appendix_b_groups_are_read() -> None:
    facts = facts_from(
        leaver(
            safeguarding=Safeguarding(
                child_protection_plan=True,
                ehcp=True,
                vulnerabilities=(ContractVulnerability.GRT_FAMILY, ContractVulnerability.DOMESTIC_ABUSE),
            )
        )
    )
    assert (facts.is_cla, facts.is_cp, facts.is_cin, facts.has_ehcp, facts.safeguarding_concern) == (
        False,
        True,
        False,
        True,
        False,
    )
    assert facts.vulnerabilities == {Vulnerability.GRT_FAMILY, Vulnerability.DOMESTIC_ABUSE}


@pytest.mark.parametrize(
    ("education", "expected"),
    [
        (EducationStatus(on_roll_elsewhere=True), (True, False, False, None)),
        (EducationStatus(electively_home_educated=True), (False, True, False, None)),
        (EducationStatus(in_alternative_provision=True), (False, False, True, None)),
        (EducationStatus(ap_taken_up=False), (False, False, False, False)),
    ],
)
def test_what_the_referrer_knows_of_the_childs_education_is_read(
    education: EducationStatus, expected: tuple[bool, bool, bool, bool | None]
) -> None:
    facts = facts_from(referral(ContractKind.PROFESSIONAL_REFERRAL, education=education))
    assert (facts.on_roll_elsewhere, facts.is_ehe, facts.in_alternative_provision, facts.ap_taken_up) == expected


def test_a_part_time_timetable_using_alternative_provision_is_educated_elsewhere_part_of_the_time() -> None:
    attendance = AttendanceConcern(reason="part_time_timetable", hours_per_week=10, alternative_provision_used=True)
    assert facts_from(referral(ContractKind.PART_TIME_TIMETABLE, attendance=attendance)).in_alternative_provision
    without = AttendanceConcern(reason="part_time_timetable", hours_per_week=10, alternative_provision_used=False)
    assert not facts_from(referral(ContractKind.PART_TIME_TIMETABLE, attendance=without)).in_alternative_provision


@pytest.mark.parametrize(
    ("kind", "alert", "read_as"),
    [
        (ContractKind.SOCIAL_CARE_NO_EDUCATION, "no_confirmed_education", ReferralKind.SOCIAL_CARE_NO_EDUCATION),
        (ContractKind.SOCIAL_CARE_NO_EDUCATION, "leaving_area", ReferralKind.SOCIAL_CARE_LEAVING_AREA),
        (ContractKind.SOCIAL_CARE_LEAVING_AREA, "no_confirmed_education", ReferralKind.SOCIAL_CARE_NO_EDUCATION),
        (ContractKind.SOCIAL_CARE_LEAVING_AREA, None, ReferralKind.SOCIAL_CARE_LEAVING_AREA),
        (ContractKind.PROFESSIONAL_REFERRAL, "leaving_area", ReferralKind.PROFESSIONAL_REFERRAL),
    ],
)
def test_a_social_care_alert_is_read_by_the_alert_type_the_social_worker_chose(
    kind: ContractKind, alert: str | None, read_as: ReferralKind
) -> None:
    assert facts_from(referral(kind, social_care_alert=alert)).referral_kind is read_as


SOCIAL_WORKER = SocialWorker(name="Sam Example", email="sam@example.invalid")


@pytest.mark.parametrize(
    ("submitted", "track", "is_cme"),
    [
        (leaver("9(1)(a)", destination=Destination(school_id="8852001")), Track.WATCH_FOR_JOINER, False),
        (leaver("9(1)(g)"), Track.CME_ENQUIRY, True),
        (leaver("9(1)(f)"), Track.EHE, False),
        (referral(ContractKind.JOINER), Track.NO_ACTION, False),
        (referral(ContractKind.ABSENCE), Track.ATTENDANCE, False),
        (referral(ContractKind.SICKNESS_15_DAY), Track.S19_CONSIDERATION, False),
        (referral(ContractKind.PART_TIME_TIMETABLE), Track.ATTENDANCE, False),
        (
            referral(ContractKind.SOCIAL_CARE_NO_EDUCATION, school=None, social_care_alert="no_confirmed_education"),
            Track.CME_ENQUIRY,
            True,
        ),
        (
            referral(
                ContractKind.SOCIAL_CARE_LEAVING_AREA,
                school=None,
                social_care_alert="leaving_area",
                destination=Destination(country="Portugal"),
                safeguarding=Safeguarding(open_to_social_care=True, social_worker=SOCIAL_WORKER),
            ),
            Track.CME_ENQUIRY,
            True,
        ),
        (
            referral(
                ContractKind.PROFESSIONAL_REFERRAL,
                school=None,
                referrer=Referrer(organisation_type=OrganisationType.HOUSING),
            ),
            Track.CME_ENQUIRY,
            True,
        ),
        (
            referral(ContractKind.PROFESSIONAL_REFERRAL, education=EducationStatus(electively_home_educated=True)),
            Track.EHE,
            False,
        ),
        (referral(ContractKind.LA_ENQUIRY, school=None), Track.CME_ENQUIRY, True),
        (referral(ContractKind.CTF_BULK), Track.NO_ACTION, False),
    ],
)
def test_each_kind_of_referral_is_decided_on_its_own_track(
    submitted: ReferralReceived, track: Track, is_cme: bool
) -> None:
    decision = SERVICE.decide(submitted)
    assert decision.track is track
    assert decision.is_cme is is_cme


def test_a_leaver_moving_abroad_is_told_to_record_the_country() -> None:
    decision = SERVICE.decide(leaver(destination=Destination(country="Romania")))
    assert "Family reported moving abroad: record the destination country if known" in decision.reasons


def test_the_authoritys_cme_enquiry_due_days_override_the_tables() -> None:
    service = TriageService(
        SERVICE.outbox,
        SchoolCalendar(),
        RuleOverrides(cme_enquiry_due_school_days=5),
        decisions=SERVICE.decisions,
        watches=SERVICE.watches,
    )
    decision = service.decide(leaver())
    assert decision.due_date == date(2025, 11, 10)
    assert decision.rules_version.endswith(";cme_enquiry_due_school_days=5")


TRANSFER = leaver(
    "9(1)(a)",
    destination=Destination(school_id="8852001"),
    safeguarding=Safeguarding(vulnerabilities=(ContractVulnerability.YOUNG_CARER,)),
)
DEADLINE = date(2025, 11, 17)  # 10 school days after 3 Nov 2025


def test_a_watch_deadline_is_ten_school_days_after_leaving() -> None:
    assert SERVICE.decide(TRANSFER).watch_deadline == DEADLINE


def test_an_expired_watch_is_decided_as_a_cme_enquiry_due_from_its_deadline() -> None:
    decision = SERVICE.decide_expired_watch(TRANSFER, DEADLINE)
    assert decision.is_cme
    assert decision.track is Track.CME_ENQUIRY
    assert decision.watch_deadline == DEADLINE
    assert decision.due_date == date(2025, 12, 15)  # 20 school days after the deadline
    assert decision.reasons[0] == (
        "No joiner return from the named school within 10 school days of leaving: the child may be missing education"
    )
    assert decision.priority is Priority.P2
    assert any(reason.startswith("Leaving ground 9(1)(a):") for reason in decision.reasons)


def test_an_expired_watch_for_a_child_open_to_social_care_says_to_contact_the_social_worker() -> None:
    looked_after = TRANSFER.model_copy(update={"safeguarding": Safeguarding(looked_after=True)})
    decision = SERVICE.decide_expired_watch(looked_after, DEADLINE)
    assert decision.priority is Priority.P1
    assert "Open to social care: contact the named social worker when the case opens" in decision.reasons


def test_an_expired_watch_cannot_be_decided_past_the_configured_term_dates() -> None:
    autumn_term_only = SchoolCalendar([(date(2025, 9, 3), date(2025, 11, 28))])
    service = TriageService(
        SERVICE.outbox, autumn_term_only, RuleOverrides(), decisions=SERVICE.decisions, watches=SERVICE.watches
    )
    with pytest.raises(TermDatesExhausted):
        service.decide_expired_watch(TRANSFER, DEADLINE)


def joiner_on(joined_on: date) -> RecordedJoiner:
    return RecordedJoiner(referral_id=uuid4(), school_id="8852001", joined_on=joined_on)


@pytest.mark.parametrize(
    ("joined_on", "counts"),
    [
        (date(2025, 11, 3), True),  # the leaving day
        (date(2025, 11, 20), True),  # after leaving, though it reached triage first
        (date(2025, 10, 20), True),  # 10 school days before leaving
        (date(2025, 10, 17), False),  # 11 school days before: an earlier move
    ],
)
def test_a_joiner_return_that_arrived_first_counts_when_it_joined_within_the_watch_window(
    joined_on: date, counts: bool
) -> None:
    joiner = joiner_on(joined_on)
    assert SERVICE.earlier_joiner_for([joiner], TRANSFER) == (joiner if counts else None)


def test_an_earlier_move_does_not_hide_a_joiner_return_in_the_window() -> None:
    earlier_move, this_move = joiner_on(date(2025, 9, 5)), joiner_on(date(2025, 11, 4))
    assert SERVICE.earlier_joiner_for([earlier_move, this_move], TRANSFER) == this_move


def test_the_destination_authority_is_another_authority_never_this_one() -> None:
    assert facts_from(leaver(destination=Destination(la_code="884")), "885").destination_authority == "884"
    assert facts_from(leaver(destination=Destination(la_code="885")), "885").destination_authority is None
    assert (
        facts_from(leaver(destination=Destination(local_authority="Herefordshire")), "885").destination_authority
        is None
    )
