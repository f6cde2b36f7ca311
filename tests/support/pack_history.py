"""A small generated history of the suite's events for the weekly pack's tests: deterministic from a seed.

`generate(seed, ...)` returns the contract events in the order their producers would publish them (each with
its topic and key), and the plain truth they were made from (`CaseTruth`), which `expected_counts` reads with
its own simple loops, written independently of services/reporting/domain/pack.py, to give the numbers a correct
pack must show.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from contracts.base import Event
from contracts.events.case_v1 import CaseClosed, CaseEscalated, CaseOpened, CaseUpdated, EscalationKind
from contracts.events.common_v1 import Child, School
from contracts.events.referral_v1 import LeavingGround, LegalSource, ReferralKind, ReferralReceived
from contracts.events.review_v1 import ReviewDecided, ReviewProgressed, RiskBand
from contracts.events.triage_v1 import Priority, Track, TriageDecided

NAMESPACE = UUID("6c4b1ad4-2f7e-4d0e-9a55-3f0a1b2c3d4e")
KINDS = (
    ReferralKind.LEAVER,
    ReferralKind.LEAVER,
    ReferralKind.ABSENCE,
    ReferralKind.PROFESSIONAL_REFERRAL,
    ReferralKind.SOCIAL_CARE_NO_EDUCATION,
    ReferralKind.LA_ENQUIRY,
)
GROUNDS = ("9(1)(g)", "9(1)(h)", "9(1)(i)", "9(1)(d)")
REASONS = ("registered_into_provision", "moved_to_other_la", "moved_abroad", "ehe_confirmed", "on_roll_not_cme")
ESCALATIONS = (EscalationKind.FAIR_ACCESS_PROTOCOL, EscalationKind.SCHOOL_ATTENDANCE_ORDER, EscalationKind.SECTION_19)
LONDON = ZoneInfo("Europe/London")


@dataclass
class CaseTruth:
    case_id: UUID
    referral_kind: str
    ground: str | None
    received_at: datetime
    opened_at: datetime | None
    priority: str
    track: str
    due_date: date | None
    whereabouts_unknown: bool
    statuses: list[tuple[datetime, str, str]] = field(default_factory=list)  # (at, status, priority)
    escalations: list[tuple[datetime, str]] = field(default_factory=list)
    located_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    meeting_date: date | None = None
    given_name: str = ""


@dataclass(frozen=True)
class Published:
    topic: str
    key: str
    event: Event


def _at(rng: random.Random, start: datetime, days: float) -> datetime:
    return start + timedelta(seconds=rng.randrange(int(days * 86_400)))


def generate(seed: int, children: int, start: date, days: int) -> tuple[list[Published], list[CaseTruth]]:
    rng = random.Random(seed)
    origin = datetime.combine(start, time(), tzinfo=UTC)
    published: list[Published] = []
    truths: list[CaseTruth] = []
    for number in range(children):
        child_id = uuid5(NAMESPACE, f"{seed}-child-{number}")
        key = str(child_id)
        child = Child(given_name=f"Child{number}", family_name="Example", date_of_birth=date(2014, 1, 1))
        kind = rng.choice(KINDS)
        ground = rng.choice(GROUNDS) if kind is ReferralKind.LEAVER else None
        received_at = _at(rng, origin, days)
        referral_id = uuid5(NAMESPACE, f"{seed}-referral-{number}")
        published.append(
            Published(
                "cme.referral.received.v1",
                key,
                ReferralReceived(
                    referral_id=referral_id,
                    child_id=child_id,
                    submission_id=f"S{number}",
                    kind=kind,
                    received_at=received_at,
                    referral_date=received_at.date(),
                    child=child,
                    school=School(establishment_id="8851234"),
                    leaving_ground=LeavingGround(code=ground, legal_source=LegalSource.REGS_2024) if ground else None,
                ),
            )
        )
        is_cme = rng.random() < 0.85
        unknown = is_cme and rng.random() < 0.3
        priority = rng.choice(list(Priority))
        track = Track.CME_ENQUIRY if rng.random() < 0.7 else Track.EXCLUSION_AP
        decided_at = received_at + timedelta(minutes=rng.randrange(1, 120))
        due = (decided_at + timedelta(days=rng.randrange(5, 40))).date()
        published.append(
            Published(
                "cme.triage.decided.v1",
                key,
                TriageDecided(
                    decision_id=uuid5(NAMESPACE, f"{seed}-decision-{number}"),
                    referral_id=referral_id,
                    child_id=child_id,
                    decided_at=decided_at,
                    is_cme=is_cme,
                    track=track if is_cme else Track.NO_ACTION,
                    priority=priority,
                    whereabouts_unknown=unknown,
                    due_date=due,
                    rules_version="test",
                    kind=kind,
                    child=child,
                ),
            )
        )
        truth = CaseTruth(
            uuid5(NAMESPACE, f"{seed}-case-{number}"),
            kind.value,
            ground,
            received_at,
            None,
            priority.value,
            track.value,
            due,
            unknown,
            given_name=child.given_name,
        )
        truths.append(truth)
        if not is_cme:
            continue
        case_id = truth.case_id
        opened_at = decided_at + timedelta(minutes=1)
        truth.opened_at = opened_at
        published.append(
            Published(
                "cme.case.lifecycle.v1",
                key,
                CaseOpened(
                    case_id=case_id,
                    child_id=child_id,
                    referral_id=referral_id,
                    opened_at=opened_at,
                    priority=priority,
                    track=track,
                    due_date=due,
                    child=child,
                ),
            )
        )
        now = opened_at
        current_priority = priority.value
        for change, status in (("allocated", "allocated"), ("check_recorded", "enquiries")):
            if rng.random() < 0.6:
                break
            now += timedelta(days=rng.randrange(1, 10), hours=1)
            if rng.random() < 0.3:
                current_priority = rng.choice(list(Priority)).value
            truth.statuses.append((now, status, current_priority))
            published.append(
                Published(
                    "cme.case.lifecycle.v1",
                    key,
                    CaseUpdated(
                        case_id=case_id,
                        child_id=child_id,
                        updated_at=now,
                        change=change,
                        summary=change,
                        status=status,
                        priority=Priority(current_priority),
                    ),
                )
            )
        if rng.random() < 0.25:
            now += timedelta(days=rng.randrange(1, 20), hours=2)
            escalation = EscalationKind.MISSING_MONDAYS if unknown else rng.choice(ESCALATIONS)
            truth.escalations.append((now, escalation.value))
            published.append(
                Published(
                    "cme.case.lifecycle.v1",
                    key,
                    CaseEscalated(
                        case_id=case_id,
                        child_id=child_id,
                        escalated_at=now,
                        kind=escalation,
                        escalated_by="officer-1",
                    ),
                )
            )
            if escalation is EscalationKind.MISSING_MONDAYS:
                review_id = uuid5(NAMESPACE, f"{seed}-review-{number}")
                local = now.astimezone(LONDON).date()
                meeting = local + timedelta(days=7 - local.weekday())
                truth.meeting_date = meeting
                published.append(
                    Published(
                        "cme.review.decided.v1",
                        key,
                        ReviewProgressed(
                            review_id=review_id,
                            case_id=case_id,
                            child_id=child_id,
                            at=now + timedelta(minutes=5),
                            step="agenda_item_added",
                            summary="On the agenda",
                            meeting_date=meeting,
                            actor="system",
                        ),
                    )
                )
                published.append(
                    Published(
                        "cme.review.decided.v1",
                        key,
                        ReviewDecided(
                            review_id=review_id,
                            case_id=case_id,
                            child_id=child_id,
                            decided_at=now + timedelta(days=7),
                            cme_score=3,
                            safeguarding_score=2,
                            risk_band=RiskBand.MED,
                            may_close=True,
                            needs_senior_sign_off=True,
                            recommendation="remain open",
                        ),
                    )
                )
        if unknown and rng.random() < 0.5:
            now += timedelta(days=rng.randrange(1, 60), hours=3)
            truth.located_at = now
            published.append(
                Published(
                    "cme.case.lifecycle.v1",
                    key,
                    CaseUpdated(
                        case_id=case_id,
                        child_id=child_id,
                        updated_at=now,
                        change="child_located",
                        summary="Child located: whereabouts known",
                        status="enquiries",
                        priority=Priority(current_priority),
                    ),
                )
            )
            truth.statuses.append((now, "enquiries", current_priority))
        if (not unknown or truth.located_at is not None) and rng.random() < 0.6:
            now += timedelta(days=rng.randrange(0, 90), hours=4)
            truth.closed_at = now
            truth.close_reason = rng.choice(REASONS)
            published.append(
                Published(
                    "cme.case.lifecycle.v1",
                    key,
                    CaseClosed(
                        case_id=case_id,
                        child_id=child_id,
                        closed_at=now,
                        reason=truth.close_reason,
                        closed_by="officer-1",
                    ),
                )
            )
    return published, truths


def _bounds(monday: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(monday, time(), tzinfo=LONDON),
        datetime.combine(monday + timedelta(days=7), time(), tzinfo=LONDON),
    )


def expected_counts(truths: list[CaseTruth], monday: date) -> dict[str, object]:
    """The week's numbers by direct counting over the truth, one loop per figure."""
    start, end = _bounds(monday)
    week = lambda at: at is not None and start <= at < end  # noqa: E731
    opened = [t for t in truths if t.opened_at is not None and t.opened_at < end]
    open_now = [t for t in opened if t.closed_at is None or t.closed_at >= end]
    by_status: Counter[str] = Counter()
    by_priority: Counter[str] = Counter()
    for t in open_now:
        status, priority = "triaged", t.priority
        for at, each_status, each_priority in t.statuses:
            if at < end:
                status, priority = each_status, each_priority
        by_status[status] += 1
        by_priority[priority] += 1
    located: Counter[str] = Counter()
    for t in truths:
        if week(t.located_at):
            located["still open" if t.closed_at is None or t.closed_at >= end else str(t.close_reason)] += 1
    return {
        "new_referrals": sum(1 for t in truths if week(t.received_at)),
        "referrals_by_source": Counter(t.referral_kind for t in truths if week(t.received_at)),
        "referrals_by_ground": Counter(t.ground or "none given" for t in truths if week(t.received_at)),
        "open_cases": len(open_now),
        "open_by_priority": by_priority,
        "open_by_status": by_status,
        "open_by_track": Counter(t.track for t in open_now),
        "past_due": sum(1 for t in open_now if t.due_date is not None and t.due_date < monday + timedelta(days=7)),
        "whereabouts_unknown": sum(
            1 for t in open_now if t.whereabouts_unknown and (t.located_at is None or t.located_at >= end)
        ),
        "located": located,
        "closures_by_reason": Counter(str(t.close_reason) for t in truths if week(t.closed_at)),
        "escalations_by_kind": Counter(kind for t in truths for at, kind in t.escalations if week(at)),
        "agenda": sorted(
            t.given_name
            for t in truths
            if t.meeting_date is not None and monday <= t.meeting_date < monday + timedelta(days=7)
        ),
    }
