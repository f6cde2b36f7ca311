"""The Missing Mondays meeting (policy §10.1-10.5, App. F): the weekly agenda, the review form, the objection
window, the chair's hand-over and the senior officer's sign-off.

A `MissingMondaysReview` is one case's review form from the escalation to the sign-off:

    escalated (or due for re-review)                 -> AWAITING_MEETING on the next meeting's agenda
    score (the chair, at that meeting)               AWAITING_MEETING -> CIRCULATED (objection window opens)
    raise_concern (anyone, until the following meeting) CIRCULATED -> AWAITING_MEETING (the following meeting)
    pass_to_senior_officer (the chair, window closed, no open concern)
                                                     CIRCULATED -> WITH_SENIOR_OFFICER
    sign_off (the senior officer)                    WITH_SENIOR_OFFICER -> SIGNED_OFF
    withdraw (the chair, with a reason; or the child located, the case closed)
                                                     any but SIGNED_OFF -> WITHDRAWN

Every command checks all its rules before changing anything and raises `ReviewRuleBroken` (messages name rules,
never a child). Commands record what happened in `events`, for the service layer to publish and log.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from contracts.reference.school_age import csa_end
from services.review.domain.risk import CME_SCORE_MEANINGS, SAFEGUARDING_SCORE_MEANINGS, RiskBand, risk_band

MONDAY: Final = 0
MEETING_INTERVAL: Final = timedelta(days=7)
REVIEW_AFTER_MONTHS: Final = 12


class ReviewRuleBroken(ValueError):
    """A review command broke a rule of the meeting; nothing changed."""


class ReviewStatus(StrEnum):
    AWAITING_MEETING = "awaiting_meeting"
    CIRCULATED = "circulated"
    WITH_SENIOR_OFFICER = "with_senior_officer"
    SIGNED_OFF = "signed_off"
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    CLOSE = "close"
    REMAIN_OPEN = "remain_open"


DECISION_LABELS: Final = {Decision.CLOSE: "Case to be closed", Decision.REMAIN_OPEN: "Case to remain open"}


class AgendaReason(StrEnum):
    ESCALATED = "escalated"
    CONCERN_RAISED = "concern_raised"
    TWELVE_MONTH_REVIEW = "twelve_month_review"
    ADDED_BY_CHAIR = "added_by_chair"


def next_meeting_after(day: date, weekday: int = MONDAY) -> date:
    """The first meeting day strictly after `day`: papers need a day to circulate."""
    ahead = (weekday - day.weekday()) % 7 or 7
    return day + timedelta(days=ahead)


def meeting_on_or_after(day: date, weekday: int = MONDAY) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def months_later(day: date, months: int) -> date:
    """The same day `months` calendar months later; a day the month lacks becomes its last (29 Feb -> 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ChildOnForm:
    """One child on the form (App. F lists all relevant children of a family)."""

    name: str = field(repr=False)
    date_of_birth: date | None = field(repr=False)
    previous_school: str | None
    last_day_in_school: date | None


@dataclass(frozen=True)
class ChecklistLine:
    """One line of the App. F checklist summary: the check, done or not applicable, the date and initials."""

    check: str
    group: str
    status: str
    on: date
    initials: str


@dataclass(frozen=True)
class Scoring:
    """What the meeting recorded on the form."""

    meeting_date: date
    chair_id: str
    cme_score: int
    safeguarding_score: int
    risk_band: RiskBand
    attendees: tuple[str, ...]
    comments: str = field(repr=False)
    recommendation: Decision
    scored_at: datetime

    @property
    def cme_meaning(self) -> str:
        return CME_SCORE_MEANINGS[self.cme_score]

    @property
    def safeguarding_meaning(self) -> str:
        return SAFEGUARDING_SCORE_MEANINGS[self.safeguarding_score]


@dataclass(frozen=True)
class Concern:
    concern_id: str
    raised_by: str
    team: str
    text: str = field(repr=False)
    raised_at: datetime
    resolved_on: date | None = None


@dataclass(frozen=True)
class SignOff:
    senior_officer_id: str
    senior_officer_name: str = field(repr=False)
    senior_officer_role: str
    decision: Decision
    comments: str = field(repr=False)
    signed_at: datetime
    next_review_date: date | None


@dataclass(frozen=True)
class AgendaChange:
    """The chair added the case to an agenda or withdrew it, and why."""

    by: str
    at: datetime
    added: bool
    reason: str = field(repr=False)


@dataclass(frozen=True)
class ReviewEvent:
    """Something that happened to a review: `kind` and a summary safe for logs and timelines."""

    kind: str
    at: datetime
    actor: str
    summary: str


@dataclass(eq=False)
class MissingMondaysReview:
    review_id: str
    case_id: str
    child_id: str
    escalated_by: str
    escalated_at: datetime
    meeting_date: date
    agenda_reason: AgendaReason
    proposed_cme_score: int | None
    proposed_safeguarding_score: int | None
    children: list[ChildOnForm] = field(default_factory=list)
    checklist: list[ChecklistLine] = field(default_factory=list)
    status: ReviewStatus = ReviewStatus.AWAITING_MEETING
    scoring: Scoring | None = None
    concerns: list[Concern] = field(default_factory=list)
    passed_by: str | None = None
    passed_at: datetime | None = None
    signature: SignOff | None = None
    agenda_changes: list[AgendaChange] = field(default_factory=list)
    previous_review_id: str | None = None
    follow_up_scheduled: bool = False
    rechecks_done: int = 0
    version: int = 0
    events: list[ReviewEvent] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ queries

    @property
    def school_leaving_date(self) -> date | None:
        """The last day of compulsory school age of the case's child (the first child on the form), if known:
        re-checks and further reviews stop after it, and casework prompts the officer to close (policy §10.5)."""
        child = self.children[0] if self.children else None
        return csa_end(child.date_of_birth) if child is not None and child.date_of_birth is not None else None

    def checks_continue_until(self, next_review_date: date) -> date:
        """Re-checks fall before the further review, and never after the child has left compulsory school age."""
        leaving = self.school_leaving_date
        return next_review_date if leaving is None else min(next_review_date, leaving + timedelta(days=1))

    @property
    def window_closes(self) -> date | None:
        """The following meeting: concerns may be raised until then (App. F)."""
        return self.scoring.meeting_date + MEETING_INTERVAL if self.scoring else None

    @property
    def open_concerns(self) -> list[Concern]:
        return [concern for concern in self.concerns if concern.resolved_on is None]

    @property
    def is_active(self) -> bool:
        return self.status not in {ReviewStatus.SIGNED_OFF, ReviewStatus.WITHDRAWN}

    def may_pass_on(self, on: date) -> bool:
        closes = self.window_closes
        return (
            self.status is ReviewStatus.CIRCULATED and closes is not None and on >= closes and not self.open_concerns
        )

    # ------------------------------------------------------------------ commands

    def score(
        self,
        *,
        chair_id: str,
        meeting_date: date,
        cme_score: int,
        safeguarding_score: int,
        attendees: list[str],
        comments: str,
        recommendation: Decision,
        at: datetime,
    ) -> None:
        """The meeting scores the case and the form is circulated: the objection window runs to the following
        meeting. Scoring again at that meeting (after a concern) considers, and so resolves, the open concerns."""
        problems: list[str] = []
        if self.status is not ReviewStatus.AWAITING_MEETING:
            problems.append(f"the review is {self.status.value.replace('_', ' ')}, not awaiting its meeting")
        if meeting_date != self.meeting_date:
            problems.append(f"the case is on the agenda of {self.meeting_date.isoformat()}")
        band = None
        try:
            band = risk_band(cme_score, safeguarding_score)
        except ValueError as error:
            problems.append(str(error))
        people = tuple(name.strip() for name in attendees if name.strip())
        if not people:
            problems.append("record who attended")
        if not comments.strip():
            problems.append("record the meeting's comments")
        if band is RiskBand.HI and recommendation is Decision.CLOSE:
            problems.append("a high-risk (HI) case must not be recommended for closure")
        if problems or band is None:
            raise ReviewRuleBroken("; ".join(problems))
        self.version += 1
        self.scoring = Scoring(meeting_date, chair_id, cme_score, safeguarding_score, band, people,
                               comments.strip(), recommendation, at)
        self.concerns = [
            concern if concern.resolved_on else _resolved(concern, meeting_date) for concern in self.concerns
        ]
        self.status = ReviewStatus.CIRCULATED
        closes = self.window_closes
        assert closes is not None
        self.record_event("review.scored", at, chair_id,
                     f"Scored at the meeting of {meeting_date.isoformat()}: CME {cme_score}, safeguarding "
                     f"{safeguarding_score}, risk {band.value}; form circulated, concerns until {closes.isoformat()}")

    def raise_concern(self, *, concern_id: str, by: str, team: str, text: str, at: datetime) -> None:
        """Any attendee or team may raise a concern until the following meeting; it sends the review back to
        that meeting's agenda."""
        closes = self.window_closes
        if self.status is not ReviewStatus.CIRCULATED or closes is None:
            raise ReviewRuleBroken("concerns can be raised only while the form is circulated")
        if at.date() > closes:
            raise ReviewRuleBroken(f"the window for concerns closed at the meeting of {closes.isoformat()}")
        if not text.strip() or not team.strip():
            raise ReviewRuleBroken("a concern needs its text and the team raising it")
        self.version += 1
        self.concerns.append(Concern(concern_id, by, team.strip(), text.strip(), at))
        self.status = ReviewStatus.AWAITING_MEETING
        self.meeting_date = closes
        self.agenda_reason = AgendaReason.CONCERN_RAISED
        self.record_event("review.concern_raised", at, by,
                     f"Concern raised by {team.strip()}: back on the agenda of {closes.isoformat()}")

    def pass_to_senior_officer(self, *, by: str, at: datetime) -> None:
        """The chair passes the form on only once everyone had the chance to raise a concern (App. F)."""
        scoring = self.scoring
        closes = self.window_closes
        if self.status is not ReviewStatus.CIRCULATED or scoring is None or closes is None:
            raise ReviewRuleBroken("only a circulated form can be passed to the senior officer")
        if by != scoring.chair_id:
            raise ReviewRuleBroken("only the chair of the meeting passes the form to the senior officer")
        if at.date() < closes:
            raise ReviewRuleBroken(f"the window for concerns is open until the meeting of {closes.isoformat()}")
        if self.open_concerns:
            raise ReviewRuleBroken("a concern is still open")
        self.version += 1
        self.status = ReviewStatus.WITH_SENIOR_OFFICER
        self.passed_by, self.passed_at = by, at
        self.record_event("review.passed_to_senior_officer", at, by, "Form passed to the senior officer for sign-off")

    def sign_off(
        self,
        *,
        senior_officer_id: str,
        name: str,
        role: str,
        decision: Decision,
        comments: str,
        at: datetime,
    ) -> SignOff:
        """The senior officer decides for every outcome (policy §10.3). Not the officer who escalated the case,
        and not the chair. HI is only ever signed "remain open", with the next review 12 calendar months after
        the meeting."""
        scoring = self.scoring
        problems: list[str] = []
        if self.status is not ReviewStatus.WITH_SENIOR_OFFICER or scoring is None:
            raise ReviewRuleBroken("the chair has not passed this form to the senior officer")
        if senior_officer_id == self.escalated_by:
            problems.append("the officer who escalated the case cannot sign off its review")
        if senior_officer_id == scoring.chair_id:
            problems.append("the chair of the meeting cannot sign off its review")
        if scoring.risk_band is RiskBand.HI and decision is Decision.CLOSE:
            problems.append("a high-risk (HI) case can only be signed as remain open")
        if not name.strip() or not role.strip():
            problems.append("the senior officer's name and role are required")
        if problems:
            raise ReviewRuleBroken("; ".join(problems))
        next_review = (
            months_later(scoring.meeting_date, REVIEW_AFTER_MONTHS) if decision is Decision.REMAIN_OPEN else None
        )
        self.version += 1
        signed = SignOff(senior_officer_id, name.strip(), role.strip(), decision, comments.strip(), at, next_review)
        self.signature = signed
        self.status = ReviewStatus.SIGNED_OFF
        summary = f"Signed off by the senior officer ({role.strip()}): {DECISION_LABELS[decision].lower()}"
        if next_review:
            summary += f", next review {next_review.isoformat()}"
        self.record_event("review.signed_off", at, senior_officer_id, summary)
        return signed

    def withdraw(self, *, by: str, reason: str, at: datetime) -> None:
        if not self.is_active:
            raise ReviewRuleBroken(f"the review is {self.status.value.replace('_', ' ')}")
        if not reason.strip():
            raise ReviewRuleBroken("say why the case is withdrawn from the agenda")
        self.version += 1
        self.status = ReviewStatus.WITHDRAWN
        self.agenda_changes.append(AgendaChange(by, at, added=False, reason=reason.strip()))
        self.record_event("review.withdrawn", at, by, "Withdrawn from the Missing Mondays agenda")

    def add_to_agenda(
        self, *, review_id: str, by: str, reason: str, at: datetime, weekday: int = MONDAY
    ) -> "MissingMondaysReview":
        """The chair puts a case reviewed before (kept open, or withdrawn) back on the next meeting's agenda."""
        if self.is_active:
            raise ReviewRuleBroken("the case is already on an agenda")
        if self.follow_up_scheduled:
            raise ReviewRuleBroken("the case already has a later review, or has ended")
        if not reason.strip():
            raise ReviewRuleBroken("say why the case is added to the agenda")
        self.version += 1
        self.follow_up_scheduled = True
        scoring = self.scoring
        added = MissingMondaysReview(
            review_id=review_id, case_id=self.case_id, child_id=self.child_id, escalated_by=self.escalated_by,
            escalated_at=self.escalated_at, meeting_date=next_meeting_after(at.date(), weekday),
            agenda_reason=AgendaReason.ADDED_BY_CHAIR,
            proposed_cme_score=scoring.cme_score if scoring else self.proposed_cme_score,
            proposed_safeguarding_score=scoring.safeguarding_score if scoring else self.proposed_safeguarding_score,
            children=list(self.children), checklist=list(self.checklist), previous_review_id=self.review_id,
            agenda_changes=[AgendaChange(by, at, added=True, reason=reason.strip())],
        )
        added.record_event("review.agenda_item_added", at, by,
                           f"Added by the chair to the agenda of {added.meeting_date.isoformat()}")
        return added

    def re_review(self, *, review_id: str, as_of: datetime, weekday: int = MONDAY) -> "MissingMondaysReview":
        """The review a year on (HI, or any case kept open): a new form on the next meeting's agenda."""
        signed = self.signature
        if self.status is not ReviewStatus.SIGNED_OFF or signed is None or signed.next_review_date is None:
            raise ReviewRuleBroken("only a review signed off as remain open has a further review")
        if self.follow_up_scheduled:
            raise ReviewRuleBroken("the further review is already on an agenda")
        self.version += 1
        self.follow_up_scheduled = True
        scoring = self.scoring
        return MissingMondaysReview(
            review_id=review_id, case_id=self.case_id, child_id=self.child_id, escalated_by=self.escalated_by,
            escalated_at=self.escalated_at, meeting_date=meeting_on_or_after(as_of.date(), weekday),
            agenda_reason=AgendaReason.TWELVE_MONTH_REVIEW,
            proposed_cme_score=scoring.cme_score if scoring else self.proposed_cme_score,
            proposed_safeguarding_score=scoring.safeguarding_score if scoring else self.proposed_safeguarding_score,
            children=list(self.children), checklist=list(self.checklist), previous_review_id=self.review_id,
            events=[ReviewEvent("review.agenda_item_added", as_of, "system", "Due for its further review")],
        )

    def record_event(self, kind: str, at: datetime, actor: str, summary: str) -> None:
        self.events.append(ReviewEvent(kind, at, actor, summary))


def _resolved(concern: Concern, on: date) -> Concern:
    return Concern(concern.concern_id, concern.raised_by, concern.team, concern.text, concern.raised_at, on)


def recheck_dates(signed: SignOff, interval: timedelta, until: date) -> list[date]:
    """Policy §10.5: the lead officer's periodic re-checks, every `interval` from the sign-off, before `until`
    (the further review, or the end of compulsory school age, whichever comes first)."""
    dates: list[date] = []
    due = signed.signed_at.date() + interval
    while due < until:
        dates.append(due)
        due += interval
    return dates
