from dataclasses import replace
from datetime import date

import pytest

from contracts.reference.school_days import SchoolCalendar
from services.triage.domain.decision import (
    Priority,
    ReferralFacts,
    ReferralKind,
    TriageDecision,
    decide,
)
from services.triage.domain.rules import GroundStatus, RuleOverrides, RuleSet, Track, rules_for
from services.triage.domain.vulnerability import Vulnerability

CALENDAR = SchoolCalendar()
REFERRED_2025 = date(2025, 11, 3)  # a Monday
REFERRED_2024_SPRING = date(2024, 3, 4)  # under the 2006 regulations
OF_SCHOOL_AGE = date(2014, 5, 10)


def facts(kind: ReferralKind = ReferralKind.LEAVER, /, **changes: object) -> ReferralFacts:
    base = ReferralFacts(referral_kind=kind, referral_date=REFERRED_2025, date_of_birth=OF_SCHOOL_AGE)
    return replace(base, **changes)  # type: ignore[arg-type]


def run(referral: ReferralFacts, overrides: RuleOverrides | None = None) -> TriageDecision:
    return decide(referral, rules_for(referral.referral_date, overrides), CALENDAR)


def leaver(code: str, **changes: object) -> TriageDecision:
    on = REFERRED_2024_SPRING if code.startswith("8") else REFERRED_2025
    return run(facts(leaving_ground=code, referral_date=on, **changes))


# What decide() makes of each ground for a child of school age with no destination known, the school's
# transfer grounds aside (those name a school), and the uptake of alternative provision not yet known.
LEAVER_OUTCOMES: dict[str, tuple[Track, bool]] = {
    "8(1)(a)": (Track.NO_ACTION, False),
    "8(1)(c)": (Track.NO_ACTION, False),
    "8(1)(d)": (Track.EHE, False),
    "8(1)(e)": (Track.CME_ENQUIRY, False),
    "8(1)(f)": (Track.CME_ENQUIRY, True),
    "8(1)(g)": (Track.S19_CONSIDERATION, False),
    "8(1)(h)": (Track.CME_ENQUIRY, True),
    "8(1)(i)": (Track.YOUTH_JUSTICE_LIAISON, False),
    "8(1)(j)": (Track.CLOSE_ANY_CASE, False),
    "8(1)(k)": (Track.POST_16, False),
    "8(1)(l)": (Track.CME_ENQUIRY, False),
    "8(1)(m)": (Track.EXCLUSION_AP, False),
    "8(1)(n)": (Track.CME_ENQUIRY, False),
    "8(1)(o)": (Track.CME_ENQUIRY, False),
    "9(1)(b)": (Track.CME_ENQUIRY, False),
    "9(1)(c)": (Track.NO_ACTION, False),
    "9(1)(d)": (Track.NO_ACTION, False),
    "9(1)(e)": (Track.NO_ACTION, False),
    "9(1)(f)": (Track.EHE, False),
    "9(1)(g)": (Track.CME_ENQUIRY, False),
    "9(1)(h)": (Track.CME_ENQUIRY, True),
    "9(1)(i)": (Track.CME_ENQUIRY, True),
    "9(1)(j)": (Track.YOUTH_JUSTICE_LIAISON, False),
    "9(1)(k)": (Track.CLOSE_ANY_CASE, False),
    "9(1)(l)": (Track.POST_16, False),
    "9(1)(m)": (Track.CME_ENQUIRY, False),
    "9(1)(n)": (Track.CME_ENQUIRY, False),
    "9(1)(o)": (Track.EXCLUSION_AP, False),
}


@pytest.mark.parametrize("code", sorted(LEAVER_OUTCOMES))
def test_leaver_is_triaged_by_its_ground(code: str) -> None:
    track, whereabouts_unknown = LEAVER_OUTCOMES[code]
    decision = leaver(code)
    assert decision.track is track
    assert decision.is_cme is (track is Track.CME_ENQUIRY)
    assert decision.whereabouts_unknown is whereabouts_unknown
    assert decision.joint_enquiries_required is whereabouts_unknown
    assert decision.ground_status is GroundStatus.IN_FORCE
    assert any(reason.startswith(f"Leaving ground {code}:") for reason in decision.reasons)


@pytest.mark.parametrize("code", ["8(1)(b)", "9(1)(a)"])
def test_transfer_to_a_named_school_watches_for_the_joiner(code: str) -> None:
    decision = leaver(code, destination_school_known=True, destination_known=True)
    assert decision.track is Track.WATCH_FOR_JOINER
    assert not decision.is_cme
    assert decision.watch_deadline == CALENDAR.add_school_days(decision_date(code), 10)
    assert decision.due_date is None


def decision_date(code: str) -> date:
    return REFERRED_2024_SPRING if code.startswith("8") else REFERRED_2025


@pytest.mark.parametrize("code", ["8(1)(b)", "9(1)(a)"])
def test_transfer_without_a_named_school_is_a_cme_enquiry(code: str) -> None:
    decision = leaver(code)
    assert decision.track is Track.CME_ENQUIRY
    assert decision.watch_deadline is None
    assert "No destination school named: treated as moved away, no school known" in decision.reasons


@pytest.mark.parametrize("code", ["8(1)(l)", "8(1)(n)", "8(1)(o)", "9(1)(b)", "9(1)(m)", "9(1)(n)"])
@pytest.mark.parametrize(
    "destination",
    [{"destination_known": True}, {"destination_school_known": True}, {"on_roll_elsewhere": True}],
)
def test_cme_only_when_no_destination_is_known(code: str, destination: dict[str, bool]) -> None:
    decision = leaver(code, **destination)
    assert decision.track is Track.NO_ACTION
    assert not decision.is_cme


@pytest.mark.parametrize("code", ["8(1)(e)", "9(1)(g)"])
def test_moved_away_is_cme_even_when_the_destination_country_is_known(code: str) -> None:
    decision = leaver(code, destination_known=True, moving_abroad=True)
    assert decision.is_cme
    assert "Family reported moving abroad: record the destination country if known" in decision.reasons


@pytest.mark.parametrize(
    ("ap_taken_up", "track"),
    [(None, Track.EXCLUSION_AP), (True, Track.EXCLUSION_AP), (False, Track.CME_ENQUIRY)],
)
@pytest.mark.parametrize("code", ["8(1)(m)", "9(1)(o)"])
def test_exclusion_is_cme_only_when_ap_is_not_taken_up(code: str, ap_taken_up: bool | None, track: Track) -> None:
    assert leaver(code, ap_taken_up=ap_taken_up).track is track


@pytest.mark.parametrize(
    ("education", "track"),
    [
        ({"on_roll_elsewhere": True}, Track.NO_ACTION),
        ({"is_ehe": True}, Track.EHE),
        ({"in_alternative_provision": True}, Track.EXCLUSION_AP),
    ],
)
def test_leaver_whose_education_is_known_is_not_cme(education: dict[str, bool], track: Track) -> None:
    decision = leaver("9(1)(i)", **education)
    assert decision.track is track
    assert not decision.is_cme
    assert not decision.whereabouts_unknown
    assert decision.due_date is None


def test_death_closes_any_case_whatever_the_age() -> None:
    decision = leaver("9(1)(k)", date_of_birth=date(2005, 1, 1))
    assert decision.track is Track.CLOSE_ANY_CASE
    assert not decision.is_cme


# Rules by date and coding


def test_referral_on_18_august_2024_is_read_under_2006() -> None:
    decision = run(facts(leaving_ground="8(1)(e)", referral_date=date(2024, 8, 18)))
    assert decision.rules_version == "pupil-registration-2006/v1"
    assert decision.ground_status is GroundStatus.IN_FORCE
    assert decision.is_cme


def test_referral_on_19_august_2024_is_read_under_2024() -> None:
    decision = run(facts(leaving_ground="9(1)(g)", referral_date=date(2024, 8, 19)))
    assert decision.rules_version == "pupil-registration-2024/v1"
    assert decision.ground_status is GroundStatus.IN_FORCE
    assert decision.is_cme


@pytest.mark.parametrize(
    ("code", "equivalent", "track"),
    [
        ("8(1)(e)", "9(1)(g)", Track.CME_ENQUIRY),
        ("8(1)(d)", "9(1)(f)", Track.EHE),
        ("8(1) (h)", "9(1)(i)", Track.CME_ENQUIRY),
        ("8(1)(k)", "9(1)(l)", Track.POST_16),
    ],
)
def test_2006_code_after_the_change_is_read_through_its_2024_equivalent(
    code: str, equivalent: str, track: Track
) -> None:
    decision = run(facts(leaving_ground=code, referral_date=date(2024, 8, 19)))
    assert decision.ground_status is GroundStatus.READ_VIA_EQUIVALENT
    assert decision.track is track
    assert decision.rules_version == "pupil-registration-2024/v1"
    assert any(equivalent in reason and "2006 coding" in reason for reason in decision.reasons)


def test_2006_transfer_after_the_change_still_watches_for_the_joiner() -> None:
    decision = run(facts(leaving_ground="8(1)(b)", destination_school_known=True))
    assert decision.ground_status is GroundStatus.READ_VIA_EQUIVALENT
    assert decision.track is Track.WATCH_FOR_JOINER


def test_2024_code_before_the_change_is_a_clear_error_and_the_child_is_still_enquired_about() -> None:
    decision = run(facts(leaving_ground="9(1)(g)", referral_date=date(2024, 8, 18)))
    assert decision.ground_status is GroundStatus.NOT_YET_IN_FORCE
    assert decision.track is Track.CME_ENQUIRY
    assert (
        "Leaving ground 9(1)(g) was not in force on the referral date: "
        "ask the school to correct the return; enquiring meanwhile"
    ) in decision.reasons


def test_medical_ground_removed_in_2024_is_no_longer_lawful_after_the_change() -> None:
    before = run(facts(leaving_ground="8(1)(g)", referral_date=date(2024, 8, 18)))
    after = run(facts(leaving_ground="8(1)(g)", referral_date=date(2024, 8, 19)))
    assert before.track is Track.S19_CONSIDERATION
    assert after.ground_status is GroundStatus.NO_LONGER_IN_FORCE
    assert after.track is Track.CME_ENQUIRY


@pytest.mark.parametrize(("code", "status"), [("Jane Smith moved", GroundStatus.UNKNOWN), (None, GroundStatus.MISSING)])
def test_unusable_ground_is_enquired_about_without_echoing_the_text(code: str | None, status: GroundStatus) -> None:
    decision = run(facts(leaving_ground=code))
    assert decision.ground_status is status
    assert decision.is_cme
    assert not any("jane" in reason.lower() or "smith" in reason.lower() for reason in decision.reasons)


# Kinds of referral


@pytest.mark.parametrize(
    ("kind", "track"),
    [
        (ReferralKind.ABSENCE, Track.ATTENDANCE),
        (ReferralKind.PART_TIME_TIMETABLE, Track.ATTENDANCE),
        (ReferralKind.SICKNESS_15_DAY, Track.S19_CONSIDERATION),
        (ReferralKind.SOCIAL_CARE_NO_EDUCATION, Track.CME_ENQUIRY),
        (ReferralKind.SOCIAL_CARE_LEAVING_AREA, Track.CME_ENQUIRY),
        (ReferralKind.PROFESSIONAL_REFERRAL, Track.CME_ENQUIRY),
        (ReferralKind.LA_ENQUIRY, Track.CME_ENQUIRY),
        (ReferralKind.JOINER, Track.NO_ACTION),
        (ReferralKind.CTF_BULK, Track.NO_ACTION),
    ],
)
def test_referral_kind_sets_the_track(kind: ReferralKind, track: Track) -> None:
    decision = run(facts(kind))
    assert decision.track is track
    assert decision.is_cme is (track is Track.CME_ENQUIRY)
    assert decision.ground_status is None


@pytest.mark.parametrize("kind", [ReferralKind.PROFESSIONAL_REFERRAL, ReferralKind.LA_ENQUIRY])
@pytest.mark.parametrize(
    ("education", "track"),
    [
        ({"on_roll_elsewhere": True}, Track.ATTENDANCE),
        ({"is_ehe": True}, Track.EHE),
        ({"in_alternative_provision": True}, Track.EXCLUSION_AP),
    ],
)
def test_referral_about_a_child_in_education_is_not_cme(
    kind: ReferralKind, education: dict[str, bool], track: Track
) -> None:
    decision = run(facts(kind, **education))
    assert decision.track is track
    assert not decision.is_cme


@pytest.mark.parametrize("kind", [ReferralKind.PROFESSIONAL_REFERRAL, ReferralKind.LEAVER, ReferralKind.ABSENCE])
def test_pre_school_child_needs_no_action(kind: ReferralKind) -> None:
    decision = run(facts(kind, leaving_ground="9(1)(g)", date_of_birth=date(2021, 6, 1)))
    assert decision.track is Track.NO_ACTION
    assert not decision.is_cme
    assert "Below compulsory school age on the referral date: not CME" in decision.reasons


@pytest.mark.parametrize("kind", [ReferralKind.PROFESSIONAL_REFERRAL, ReferralKind.LEAVER, ReferralKind.ABSENCE])
def test_child_past_school_age_goes_to_post_16(kind: ReferralKind) -> None:
    decision = run(facts(kind, leaving_ground="9(1)(g)", date_of_birth=date(2009, 7, 1)))
    assert decision.track is Track.POST_16
    assert not decision.is_cme


def test_joiner_needs_no_action_whatever_the_age() -> None:
    assert run(facts(ReferralKind.JOINER, date_of_birth=date(2008, 1, 1))).track is Track.NO_ACTION


def test_unknown_date_of_birth_is_treated_as_of_school_age() -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL, date_of_birth=None))
    assert decision.is_cme
    assert "Date of birth not known: treated as of compulsory school age" in decision.reasons


# Priority and safeguarding


@pytest.mark.parametrize("flag", ["is_cla", "is_cp", "is_cin", "has_ehcp", "safeguarding_concern"])
def test_priority_1(flag: str) -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL, **{flag: True}))
    assert decision.priority is Priority.P1


@pytest.mark.parametrize("vulnerability", list(Vulnerability))
def test_priority_2_for_each_appendix_b_group(vulnerability: Vulnerability) -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL, vulnerabilities=frozenset({vulnerability})))
    assert decision.priority is Priority.P2


def test_priority_3_without_priority_factors() -> None:
    assert run(facts(ReferralKind.PROFESSIONAL_REFERRAL)).priority is Priority.P3


def test_priority_1_outranks_priority_2() -> None:
    decision = run(
        facts(
            ReferralKind.PROFESSIONAL_REFERRAL,
            has_ehcp=True,
            vulnerabilities=frozenset({Vulnerability.BULLYING}),
        )
    )
    assert decision.priority is Priority.P1


@pytest.mark.parametrize("kind", list(ReferralKind))
def test_priority_applies_to_every_track(kind: ReferralKind) -> None:
    assert run(facts(kind, leaving_ground="9(1)(f)", is_cla=True)).priority is Priority.P1
    assert run(facts(kind, leaving_ground="9(1)(f)", date_of_birth=date(2022, 1, 1), is_cp=True)).priority is (
        Priority.P1
    )


@pytest.mark.parametrize("kind", [ReferralKind.ABSENCE, ReferralKind.LEAVER, ReferralKind.JOINER])
def test_safeguarding_concern_refers_to_the_family_front_door(kind: ReferralKind) -> None:
    decision = run(facts(kind, leaving_ground="9(1)(a)", destination_school_known=True, safeguarding_concern=True))
    assert decision.refer_to_family_front_door
    assert decision.priority is Priority.P1
    assert "Safeguarding concern: refer to the Family Front Door; CME work does not replace it" in decision.reasons


def test_no_family_front_door_referral_without_a_safeguarding_concern() -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL, is_cp=True))
    assert not decision.refer_to_family_front_door


def test_open_to_social_care_prompts_contact_with_the_social_worker_on_a_cme_case() -> None:
    decision = run(facts(ReferralKind.SOCIAL_CARE_NO_EDUCATION, is_cin=True))
    assert "Open to social care: contact the named social worker when the case opens" in decision.reasons


# Deadlines


def test_cme_enquiry_is_due_20_school_days_after_referral() -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL))
    assert decision.due_date == date(2025, 12, 1)
    assert decision.watch_deadline is None


def test_cme_enquiry_due_date_skips_christmas_bank_holidays() -> None:
    decision = run(facts(ReferralKind.PROFESSIONAL_REFERRAL, referral_date=date(2025, 12, 15)))
    assert decision.due_date == date(2026, 1, 15)


def test_due_date_follows_configured_term_dates() -> None:
    calendar = SchoolCalendar([(date(2025, 9, 3), date(2025, 10, 24)), (date(2025, 11, 3), date(2025, 12, 19))])
    referral = facts(ReferralKind.PROFESSIONAL_REFERRAL, referral_date=date(2025, 10, 20))
    decision = decide(referral, rules_for(referral.referral_date), calendar)
    # 21-24 October, then 16 school days from 3 November (half term is not counted).
    assert decision.due_date == date(2025, 11, 24)


def test_overridden_deadlines_apply_and_are_recorded() -> None:
    overrides = RuleOverrides(cme_enquiry_due_school_days=5, joiner_watch_school_days=3)
    enquiry = run(facts(ReferralKind.PROFESSIONAL_REFERRAL), overrides)
    watch = run(facts(leaving_ground="9(1)(a)", destination_school_known=True), overrides)
    assert enquiry.due_date == date(2025, 11, 10)
    assert watch.watch_deadline == date(2025, 11, 6)
    assert enquiry.rules_version.endswith(";joiner_watch_school_days=3;cme_enquiry_due_school_days=5")


def test_no_due_date_when_not_cme() -> None:
    decision = run(facts(ReferralKind.ABSENCE))
    assert decision.due_date is None
    assert decision.watch_deadline is None


# Children Not In School register


CNIS_FROM_2025 = RuleOverrides(cnis_register_commences_on=date(2025, 9, 1))


@pytest.mark.parametrize(
    "referral",
    [
        facts(leaving_ground="9(1)(f)"),
        facts(ReferralKind.PART_TIME_TIMETABLE),
        facts(ReferralKind.PROFESSIONAL_REFERRAL, in_alternative_provision=True),
    ],
)
def test_cnis_register_applies_once_commenced(referral: ReferralFacts) -> None:
    assert run(referral, CNIS_FROM_2025).cnis_register_applies
    assert not run(referral).cnis_register_applies
    assert not run(replace(referral, referral_date=date(2025, 8, 29)), CNIS_FROM_2025).cnis_register_applies


@pytest.mark.parametrize(
    "referral",
    [
        facts(ReferralKind.ABSENCE),
        facts(leaving_ground="9(1)(g)"),
        facts(leaving_ground="9(1)(f)", date_of_birth=date(2009, 7, 1)),
    ],
)
def test_cnis_register_does_not_apply_to_others(referral: ReferralFacts) -> None:
    assert not run(referral, CNIS_FROM_2025).cnis_register_applies


# Properties every decision has


EVERY_KIND_AND_GROUND = [
    facts(kind, leaving_ground=code, referral_date=REFERRED_2025)
    for kind in ReferralKind
    for code in (None, "9(1)(a)", "9(1)(g)", "9(1)(i)", "9(1)(k)", "9(1)(o)", "8(1)(g)")
]


@pytest.mark.parametrize("referral", EVERY_KIND_AND_GROUND)
def test_decision_invariants(referral: ReferralFacts) -> None:
    rules: RuleSet = rules_for(referral.referral_date)
    decision = decide(referral, rules, CALENDAR)
    assert decision.is_cme is (decision.track is Track.CME_ENQUIRY)
    assert (decision.due_date is not None) is decision.is_cme
    assert (decision.watch_deadline is not None) is (decision.track is Track.WATCH_FOR_JOINER)
    assert decision.rules_version == rules.version
    assert decision.reasons
    assert not any(OF_SCHOOL_AGE.isoformat() in reason for reason in decision.reasons)


# Policy §4.1 and §11.5: a child who moves to another English authority is that authority's to find in education.
LEAVING_FOR_884 = {"destination_known": True, "destination_authority": "884"}


def test_a_child_leaving_for_another_authority_is_handed_to_it_without_a_local_enquiry() -> None:
    decision = run(facts(ReferralKind.SOCIAL_CARE_LEAVING_AREA, is_cin=True, **LEAVING_FOR_884))
    assert (decision.track, decision.is_cme, decision.refer_to_authority) == (Track.NO_ACTION, False, "884")
    assert decision.due_date is None


@pytest.mark.parametrize("kept_because", [{"is_cla": True}, {"is_cp": True}, {"safeguarding_concern": True}])
def test_a_looked_after_or_protected_child_leaving_keeps_a_local_case_and_the_authority_is_told(
    kept_because: dict[str, bool],
) -> None:
    decision = run(facts(ReferralKind.SOCIAL_CARE_LEAVING_AREA, **kept_because, **LEAVING_FOR_884))
    assert (decision.track, decision.is_cme, decision.refer_to_authority) == (Track.CME_ENQUIRY, True, "884")


def test_a_child_leaving_with_no_authority_known_is_this_authoritys_enquiry() -> None:
    decision = run(facts(ReferralKind.SOCIAL_CARE_LEAVING_AREA, destination_known=True, moving_abroad=True))
    assert (decision.track, decision.refer_to_authority) == (Track.CME_ENQUIRY, None)


def test_a_leaver_who_moved_away_to_a_known_authority_is_enquired_about_and_referred_to_it() -> None:
    # The deletion ground makes the enquiry this authority's too (the law, held once in leaving_grounds).
    decision = leaver("9(1)(g)", **LEAVING_FOR_884)
    assert (decision.track, decision.refer_to_authority) == (Track.CME_ENQUIRY, "884")


@pytest.mark.parametrize("known", [{"destination_school_known": True}, {"on_roll_elsewhere": True}, {"is_ehe": True}])
def test_no_referral_when_the_childs_education_there_is_known(known: dict[str, bool]) -> None:
    assert leaver("9(1)(g)", **LEAVING_FOR_884, **known).refer_to_authority is None


def test_no_referral_for_a_child_past_school_age_or_who_died() -> None:
    past_school_age = run(
        facts(ReferralKind.SOCIAL_CARE_LEAVING_AREA, date_of_birth=date(2005, 1, 1), **LEAVING_FOR_884)
    )
    died = leaver("9(1)(k)", **LEAVING_FOR_884)
    assert (past_school_age.refer_to_authority, died.refer_to_authority) == (None, None)
