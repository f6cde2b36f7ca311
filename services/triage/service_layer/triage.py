"""Triage's service layer: read each referral under the rules in force on its date, and publish the decision.

A transfer to a named school opens a joiner watch. A joiner return satisfies the child's open watches; the
scheduler (`run-due`) turns each watch whose deadline has passed into a CME decision.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.common_v1 import Destination
from contracts.events.referral_v1 import ReferralReceived
from contracts.events.triage_v1 import Priority, TriageDecided
from contracts.events.triage_v1 import Track as ContractTrack
from contracts.reference.school_days import SchoolCalendar, TermDatesExhausted
from services.triage.adapters.decisions import DecisionRepository
from services.triage.adapters.watches import RecordedJoiner, WatchRepository
from services.triage.domain.decision import ReferralFacts, ReferralKind, TriageDecision, decide
from services.triage.domain.rules import RuleOverrides, RuleSet, Track, rules_for
from services.triage.domain.vulnerability import Vulnerability
from services.triage.domain.watch import JoinerWatch, cancel, expired, satisfy_on_joiner

# A country named as the whole UK, or England, says nothing about where the child went; another UK nation is a
# destination (with its own education system) but not abroad.
_NOT_A_DESTINATION = frozenset({"united kingdom", "uk", "great britain", "britain", "gb", "gbr", "england"})
_UNITED_KINGDOM = _NOT_A_DESTINATION | {"wales", "scotland", "northern ireland"}
_SOCIAL_CARE_ALERT_KINDS = {
    "no_confirmed_education": ReferralKind.SOCIAL_CARE_NO_EDUCATION,
    "leaving_area": ReferralKind.SOCIAL_CARE_LEAVING_AREA,
}
_SOCIAL_CARE_KINDS = frozenset(_SOCIAL_CARE_ALERT_KINDS.values())
# decide() gives this reason to CME decisions only, and a watch's own decision is not one.
_CONTACT_SOCIAL_WORKER = "Open to social care: contact the named social worker when the case opens"


def referral_kind(referral: ReferralReceived) -> ReferralKind:
    """The kind triage reads. For a social care alert the alert type the social worker chose decides which."""
    kind = ReferralKind(referral.kind.value)
    if kind in _SOCIAL_CARE_KINDS and referral.social_care_alert is not None:
        return _SOCIAL_CARE_ALERT_KINDS.get(referral.social_care_alert, kind)
    return kind


def _country(name: str | None) -> str:
    """A country as the sets above spell it ("U.K." reads "uk"); empty when none is given."""
    return " ".join("".join(c for c in (name or "").casefold() if c.isalnum() or c.isspace()).split())


def is_abroad(country: str | None) -> bool:
    normalised = _country(country)
    return bool(normalised) and normalised not in _UNITED_KINGDOM


def names_a_destination(destination: Destination | None) -> bool:
    if destination is None:
        return False
    country = _country(destination.country)
    return bool(
        destination.school_id
        or destination.local_authority
        or destination.la_code
        or (country and country not in _NOT_A_DESTINATION)
    )


def destination_authority(destination: Destination | None, home_la_code: str | None) -> str | None:
    """The DfE code of another English authority the child moved to; never this authority's own."""
    if destination is None or destination.la_code is None or destination.la_code == home_la_code:
        return None
    return destination.la_code


def facts_from(referral: ReferralReceived, home_la_code: str | None = None) -> ReferralFacts:
    safeguarding = referral.safeguarding
    destination = referral.destination
    education = referral.education
    attendance = referral.attendance
    return ReferralFacts(
        referral_kind=referral_kind(referral),
        referral_date=referral.referral_date,
        date_of_birth=referral.child.date_of_birth,
        leaving_ground=referral.leaving_ground.code if referral.leaving_ground else None,
        destination_school_known=bool(destination and destination.school_id),
        destination_known=names_a_destination(destination),
        moving_abroad=bool(destination and is_abroad(destination.country)),
        is_cla=safeguarding.looked_after,
        is_cp=safeguarding.child_protection_plan,
        is_cin=safeguarding.child_in_need,
        has_ehcp=safeguarding.ehcp,
        safeguarding_concern=safeguarding.safeguarding_concern,
        vulnerabilities=frozenset(Vulnerability(group.value) for group in safeguarding.vulnerabilities),
        on_roll_elsewhere=education.on_roll_elsewhere,
        is_ehe=education.electively_home_educated,
        in_alternative_provision=education.in_alternative_provision
        or bool(attendance and attendance.alternative_provision_used),
        ap_taken_up=education.ap_taken_up,
        destination_authority=destination_authority(destination, home_la_code),
    )


def joined_school_id(joiner: ReferralReceived) -> str:
    if joiner.school is None:
        raise ValueError("a joiner return names the school the child joined")
    return joiner.school.establishment_id


def destination_school_id(destination: Destination | None) -> str:
    # decide() watches only for a transfer that names its destination school (the grounds require one).
    if destination is None or destination.school_id is None:
        raise ValueError("a transfer leaver return names its destination school")
    return destination.school_id


@dataclass(frozen=True)
class ExpiryRun:
    """What one scheduler run did, in counts. `left_open` watches could not be decided (see `expire_watches`)."""

    expired: int
    left_open: int


class TriageService:
    def __init__(
        self,
        outbox: EventOutbox,
        calendar: SchoolCalendar,
        overrides: RuleOverrides,
        *,
        decisions: DecisionRepository,
        watches: WatchRepository,
        clock: Clock = utc_now,
        home_la_code: str = "885",
    ) -> None:
        self.home_la_code = home_la_code
        self.outbox = outbox
        self.calendar = calendar
        self.overrides = overrides
        self.decisions = decisions
        self.watches = watches
        self.clock = clock

    def rules(self, on: date) -> RuleSet:
        return rules_for(on, self.overrides)

    def decide(self, referral: ReferralReceived) -> TriageDecision:
        return decide(facts_from(referral, self.home_la_code), self.rules(referral.referral_date), self.calendar)

    def decide_expired_watch(self, referral: ReferralReceived, deadline: date) -> TriageDecision:
        """The CME decision for a transfer whose joiner return did not arrive by `deadline`.

        Priority, flags and the reasons for them are the leaver return's own; the due date counts from the
        deadline, when the LA learnt that the child may be missing education.
        """
        facts = facts_from(referral, self.home_la_code)
        rules = self.rules(referral.referral_date)
        watched = decide(facts, rules, self.calendar)
        no_joiner = (
            f"No joiner return from the named school within {rules.joiner_watch_school_days} school days "
            "of leaving: the child may be missing education"
        )
        open_to_social_care = (_CONTACT_SOCIAL_WORKER,) if facts.is_cla or facts.is_cp or facts.is_cin else ()
        return replace(
            watched,
            is_cme=True,
            track=Track.CME_ENQUIRY,
            due_date=self.calendar.add_school_days(deadline, rules.cme_enquiry_due_school_days),
            watch_deadline=deadline,
            reasons=(no_joiner, *watched.reasons, *open_to_social_care),
        )

    def earlier_joiner_for(self, joiners: list[RecordedJoiner], leaver: ReferralReceived) -> RecordedJoiner | None:
        """A joiner return that reached triage before the leaver return and shows the transfer happened.

        The new school often adds the pupil, and sends its return, before the old school deletes them. A join
        up to the watch's length in school days before leaving counts; an older one is an earlier move.
        """
        window = self.rules(leaver.referral_date).joiner_watch_school_days
        leaving_date = leaver.referral_date
        return next(
            (
                joiner
                for joiner in joiners
                if joiner.joined_on >= leaving_date
                or self.calendar.school_days_between(joiner.joined_on, leaving_date) <= window
            ),
            None,
        )

    async def on_referral_received(
        self, session: Transaction, attributes: CloudEventAttributes, referral: ReferralReceived
    ) -> None:
        """Each referral gets exactly one triage decision; transfers and joiner returns also move watches."""
        decision = self.decide(referral)
        decision_id = uuid4()
        decided_at = self.clock()
        if not await self.decisions.add(session, decision_id, referral, decision, decided_at):
            return
        if decision.track is Track.WATCH_FOR_JOINER:
            await self._open_watch(session, referral, decision, decided_at)
        elif referral_kind(referral) is ReferralKind.JOINER:
            await self._satisfy_watches(session, referral, decided_at)
        elif decision.track is Track.CLOSE_ANY_CASE:
            for watch in await self.watches.open_for_child(session, referral.child_id):
                await self.watches.record_cancelled(session, cancel(watch), referral.referral_id, decided_at)
        await self._publish(session, decision_id, referral, decision, decided_at)

    async def expire_watches(self, session: Transaction, as_of: datetime) -> ExpiryRun:
        """Turn every open watch whose deadline day ended by `as_of` into a published CME decision.

        Run in one transaction: each watch is locked, marked expired and its decision put in the outbox
        together, so a second run (or a concurrent one) finds nothing more to do. A watch whose due date
        cannot be counted because the configured term dates end too soon is left open for the next run.
        """
        stored = {candidate.watch.watch_id: candidate for candidate in await self.watches.open_due_by(session, as_of)}
        expired_count = left_open = 0
        for watch in expired([candidate.watch for candidate in stored.values()], as_of):
            referral = stored[watch.watch_id].referral
            try:
                decision = self.decide_expired_watch(referral, watch.deadline)
            except TermDatesExhausted:
                left_open += 1
                continue
            decision_id = uuid4()
            await self.watches.record_expired(session, watch, decision_id, as_of)
            await self._publish(session, decision_id, referral, decision, as_of)
            expired_count += 1
        return ExpiryRun(expired=expired_count, left_open=left_open)

    async def _open_watch(
        self, session: Transaction, referral: ReferralReceived, decision: TriageDecision, decided_at: datetime
    ) -> None:
        if decision.watch_deadline is None:
            raise ValueError("a decision to watch for a joiner return carries its deadline")
        watch = JoinerWatch(
            watch_id=str(uuid4()),
            child_id=str(referral.child_id),
            school_id=destination_school_id(referral.destination),
            started_on=referral.referral_date,
            deadline=decision.watch_deadline,
        )
        joiner = self.earlier_joiner_for(await self.watches.recorded_joiners(session, referral.child_id), referral)
        if joiner is None:
            await self.watches.add(session, watch, referral, satisfied_by=None, decided_at=None)
            return
        satisfied = satisfy_on_joiner(watch, joiner.school_id, joiner.joined_on)
        await self.watches.add(session, satisfied, referral, satisfied_by=joiner.referral_id, decided_at=decided_at)

    async def _satisfy_watches(self, session: Transaction, joiner: ReferralReceived, at: datetime) -> None:
        school_id = joined_school_id(joiner)
        for watch in await self.watches.open_for_child(session, joiner.child_id):
            satisfied = satisfy_on_joiner(watch, school_id, joiner.referral_date)
            await self.watches.record_satisfied(session, satisfied, joiner.referral_id, at)

    async def _publish(
        self,
        session: Transaction,
        decision_id: UUID,
        referral: ReferralReceived,
        decision: TriageDecision,
        decided_at: datetime,
    ) -> None:
        await self.outbox.add(
            session,
            TriageDecided(
                decision_id=decision_id,
                referral_id=referral.referral_id,
                child_id=referral.child_id,
                decided_at=decided_at,
                is_cme=decision.is_cme,
                track=ContractTrack(decision.track.value),
                priority=Priority(decision.priority.value),
                whereabouts_unknown=decision.whereabouts_unknown,
                refer_to_family_front_door=decision.refer_to_family_front_door,
                refer_to_authority=decision.refer_to_authority,
                joint_enquiries_required=decision.joint_enquiries_required,
                cnis_register_applies=decision.cnis_register_applies,
                due_date=decision.due_date,
                watch_deadline=decision.watch_deadline,
                reasons=decision.reasons,
                rules_version=decision.rules_version,
                kind=referral.kind,
                child=referral.child,
                school=referral.school,
                leaving_ground=referral.leaving_ground,
                destination=referral.destination,
                safeguarding=referral.safeguarding,
                submission_id=referral.submission_id,
                received_at=referral.received_at,
                referral_date=referral.referral_date,
                referrer=referral.referrer,
                documents=referral.documents,
                sibling_child_ids=referral.sibling_child_ids,
                lost_pupil_file=referral.lost_pupil_file,
            ),
            key=referral.child_id,
            subject=referral.referral_id,
        )
