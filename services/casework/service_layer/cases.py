"""Casework's service layer: cases opened from triage decisions, and every change published and timelined."""

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from cme_runtime.clock import Clock, utc_now
from cme_runtime.db import Transaction
from cme_runtime.outbox import EventOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events import case_v1
from contracts.events.common_v1 import Child, Safeguarding, School, SocialWorker
from contracts.events.notify_v1 import MessageStatusChanged
from contracts.events.referral_v1 import ReferralKind
from contracts.events.review_v1 import ClosureDecision, RecheckDue, ReviewDecided, ReviewProgressed, ReviewSignedOff
from contracts.events.triage_v1 import Priority, Track, TriageDecided
from services.casework.adapters.case_records import CaseRecords
from services.casework.adapters.repository import CaseRepository
from services.casework.adapters.returns import CaseReturns
from services.casework.domain import events as domain_events
from services.casework.domain import vocabulary
from services.casework.domain.case import SYSTEM_ACTOR, Case, RouteAction, route_referral
from services.casework.domain.errors import DomainError
from services.casework.domain.records import CaseFlags, ChildSummary
from services.casework.domain.tasks import ExclusionLeaver
from services.casework.service_layer.exchange import ExchangeMessages
from services.casework.service_layer.tasks import TaskService


def child_summary(decision: TriageDecided) -> ChildSummary:
    child = decision.child
    return ChildSummary(
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        upn=child.upn,
        school_name=decision.school.name if decision.school else None,
        school_id=decision.school.establishment_id if decision.school else None,
        postcode=child.address.postcode if child.address else None,
    )


def case_flags(decision: TriageDecided) -> CaseFlags:
    safeguarding = decision.safeguarding
    worker = safeguarding.social_worker
    return CaseFlags(
        cla=safeguarding.looked_after,
        cp=safeguarding.child_protection_plan,
        cin=safeguarding.child_in_need,
        ehcp=safeguarding.ehcp,
        open_to_social_care=safeguarding.open_to_social_care,
        safeguarding_concern=safeguarding.safeguarding_concern,
        whereabouts_unknown=decision.whereabouts_unknown,
        social_worker_name=worker.name if worker else None,
        social_worker_email=worker.email if worker else None,
        # Triage decides which grounds need joint school and LA enquiries (the rule lives there, once).
        joint_enquiries_required=decision.joint_enquiries_required,
    )


def social_care_facts(flags: CaseFlags) -> Safeguarding:
    worker = (
        SocialWorker(name=flags.social_worker_name, email=flags.social_worker_email)
        if flags.social_worker_name
        else None
    )
    return Safeguarding(
        looked_after=flags.cla,
        child_protection_plan=flags.cp,
        child_in_need=flags.cin,
        ehcp=flags.ehcp,
        safeguarding_concern=flags.safeguarding_concern,
        open_to_social_care=flags.open_to_social_care,
        social_worker=worker,
    )


def review_form_parts(case: Case, family: Sequence[tuple[Case, date | None]] = ()) -> dict[str, Any]:
    """What the Missing Mondays review form shows of the case (App. F): the child, then the linked siblings (the
    form lists "all relevant children" of the family), each with the last day in school its leaver return gave,
    and the checklist summary. `family` is the case and its siblings' cases, each with that day."""
    return {
        "children": [
            case_v1.ChildOnReviewForm(
                given_name=member.child.given_name,
                family_name=member.child.family_name,
                date_of_birth=member.child.date_of_birth,
                previous_school=member.child.school_name,
                last_day_in_school=last_day,
            )
            for member, last_day in (family or [(case, None)])
        ],
        "checklist": [
            case_v1.ChecklistSummaryLine(
                check=record.check.label,
                group=record.check.group.value,
                status=record.status.value,
                on=record.on,
                initials=record.officer_initials,
            )
            for record in case.checks_this_episode()
        ],
    }


def message_summary(change: MessageStatusChanged) -> str:
    """A timeline line for a message's status: whom (by role, or the other authority's LA code), what and how it
    stands, with the other authority's reference or reason when there is one. Never personal data."""
    purpose = change.purpose.replace("_", " ")
    status = change.status.replace("-", " ")
    if change.counterpart_la is not None:
        towards = "from" if change.direction == "received" else "to"
        line = f"Message {towards} local authority {change.counterpart_la} ({purpose}): {status}"
        return f"{line} ({change.detail})" if change.detail else line
    who = change.recipient_role.replace("_", " ")
    return f"Message to the {who} ({purpose}, {change.channel}): {status}"


class CaseworkService:
    def __init__(
        self, outbox: EventOutbox, repository: CaseRepository, clock: Clock = utc_now, *,
        tasks: TaskService | None = None, records: CaseRecords | None = None, returns: CaseReturns | None = None,
        exchange: ExchangeMessages | None = None,
    ) -> None:
        self.outbox = outbox
        self.repository = repository
        self.clock = clock
        self.tasks = tasks
        self.records = records
        self.returns = returns
        # The messages notify reports on, kept for the case page, and the exchange's tasks (service_layer/exchange).
        self.exchange = exchange

    async def on_triage_decided(
        self, session: Transaction, attributes: CloudEventAttributes, decision: TriageDecided
    ) -> None:
        """A CME decision opens a case for the child, or attaches to (or reopens) the child's case.

        A joiner return closes the child's open case as registered into provision; a death closes it.
        """
        child_id = str(decision.child_id)
        await self.repository.lock_child(session, child_id)
        existing = await self.repository.for_child(session, child_id)
        if not decision.is_cme:
            await self._note_for_the_diary(session, decision)
            await self._close_if_resolved(session, decision, existing)
            return
        route = route_referral(existing)
        priority = vocabulary.Priority(decision.priority.value)
        due_date = decision.due_date or decision.decided_at.date()
        at = self.clock()
        if route.action is RouteAction.OPEN_NEW:
            case = Case.open(
                case_id=await self.repository.unused_case_id(session),
                child_id=child_id,
                referral_id=str(decision.referral_id),
                priority=priority,
                track=vocabulary.Track(decision.track.value),
                due_date=due_date,
                opened_at=at,
                child_summary=child_summary(decision),
                flags=case_flags(decision),
            )
            await self.open_case(session, case, decision.child, decision.school, decision.safeguarding)
            return
        case = next(c for c in existing if c.case_id == route.case_id)
        version = case.version
        if route.action is RouteAction.ATTACH:
            case.attach_referral(str(decision.referral_id), priority, at, due_date=due_date, flags=case_flags(decision))
        else:
            case.reopen(
                str(decision.referral_id), at, reason="New referral received", priority=priority, due_date=due_date
            )
        await self.repository.save(session, case, version)
        await self._publish(session, case, decision.child, decision.school, decision.safeguarding)

    async def _note_for_the_diary(self, session: Transaction, decision: TriageDecided) -> None:
        """A permanent-exclusion leaver (exclusion track): the task diary checks alternative provision on day 6.
        A CTF sent to the Lost Pupil Database: the diary gets a check to find the child."""
        if self.tasks is None:
            return
        child = decision.child
        if decision.kind is ReferralKind.CTF_BULK and decision.lost_pupil_file:
            label = f"{child.given_name} {child.family_name}"
            await self.tasks.lost_pupil_file(session, str(decision.child_id), label, decision.decided_at)
            return
        if decision.track is not Track.EXCLUSION_AP or decision.kind is not ReferralKind.LEAVER:
            return
        leaver = ExclusionLeaver(
            child_id=str(decision.child_id),
            excluded_on=decision.referral_date or decision.decided_at.date(),
            child_label=f"{child.given_name} {child.family_name}",
        )
        await self.tasks.exclusion_leaver(session, str(decision.referral_id), leaver)

    async def _close_if_resolved(self, session: Transaction, decision: TriageDecided, existing: list[Case]) -> None:
        open_case = next((case for case in existing if case.is_open), None)
        if open_case is None:
            return
        version = open_case.version
        at = self.clock()
        if decision.kind is ReferralKind.JOINER and decision.school is not None:
            open_case.close_as_registered_into_provision(decision.school.establishment_id, at)
        elif decision.track is Track.CLOSE_ANY_CASE:
            open_case.close(vocabulary.ClosureReason.DIED, SYSTEM_ACTOR, at)
        else:
            return
        await self.repository.save(session, open_case, version)
        await self._publish(session, open_case)

    async def on_review_event(
        self,
        session: Transaction,
        attributes: CloudEventAttributes,
        event: ReviewDecided | ReviewSignedOff | ReviewProgressed | RecheckDue,
    ) -> None:
        """Review's events share one topic (and so one consumer): scores go on the timeline, sign-offs apply."""
        if isinstance(event, ReviewSignedOff):
            await self.on_review_signed_off(session, attributes, event)
        elif isinstance(event, ReviewProgressed):
            if event.step == "agenda_item_added":
                await self._return_to_missing_mondays(session, event)
            await self.repository.add_timeline(session, [{
                "case_id": event.case_id, "at": event.at, "kind": f"review.{event.step}", "actor": "review",
                "summary": f"Missing Mondays: {event.summary}", "source": "review", "event_id": attributes.id,
            }])
        elif isinstance(event, RecheckDue):
            await self.on_recheck_due(session, attributes, event)
        else:
            await self.on_review_decided(session, attributes, event)

    async def _return_to_missing_mondays(self, session: Transaction, added: ReviewProgressed) -> None:
        await self.repository.lock_child(session, str(added.child_id))
        case = await self.repository.get(session, str(added.case_id))
        if case is None:
            return
        version = case.version
        if case.return_to_missing_mondays(added.meeting_date, added.at):
            await self.repository.save(session, case, version)
            await self._publish(session, case)

    async def on_recheck_due(self, session: Transaction, attributes: CloudEventAttributes, due: RecheckDue) -> None:
        """A periodic re-check for the lead officer (policy §10.5) on a case kept open after review."""
        await self.repository.lock_child(session, str(due.child_id))
        case = await self.repository.get(session, str(due.case_id))
        if case is None:
            return
        version = case.version
        try:
            case.note_recheck_due(due.due_on, self.clock())
        except DomainError:
            case.events.clear()
            return  # the child was located or the case closed meanwhile: no re-check is owed
        await self.repository.save(session, case, version)
        await self._publish(session, case)
        if self.tasks is not None:
            await self.tasks.recheck_due(session, str(due.case_id), due.due_on)

    async def on_review_decided(
        self, session: Transaction, attributes: CloudEventAttributes, review: ReviewDecided
    ) -> None:
        """The meeting scored a Missing Mondays review: the band goes on the case's timeline."""
        await self.repository.add_timeline(
            session,
            [
                {
                    "case_id": review.case_id,
                    "at": review.decided_at,
                    "kind": "review.decided",
                    "actor": "review",
                    "summary": f"Missing Mondays review: risk band {review.risk_band.value}. {review.recommendation}",
                    "source": "review",
                    "event_id": attributes.id,
                }
            ],
        )

    async def on_review_signed_off(
        self, session: Transaction, attributes: CloudEventAttributes, signed: ReviewSignedOff
    ) -> None:
        """Apply the senior officer's signed-off decision: close (LO/MED), or keep open under the lead officer's
        oversight with the next review date. A decision the case's rules refuse (a HI case signed "close", a
        child located since the escalation) changes nothing and says why on the timeline, for the lead officer
        to take back to the meeting; it is not an error to retry."""
        child_id = str(signed.child_id)
        await self.repository.lock_child(session, child_id)
        case = await self.repository.get(session, str(signed.case_id))
        refusal: str | None = None
        if case is None:
            return
        version = case.version
        try:
            case.apply_review_decision(
                vocabulary.RiskBand(signed.risk_band.value),
                vocabulary.ReviewDecision.CLOSE
                if signed.decision is ClosureDecision.CLOSE
                else vocabulary.ReviewDecision.KEEP_OPEN,
                signed.senior_officer_id,
                signed.signed_off_at,
                signed.next_review_date,
                review_id=str(signed.review_id),
                signed_off_role=signed.senior_officer_role,
                comments=signed.comments,
                lead_officer_id=signed.lead_officer_id,
            )
        except DomainError as refused:
            refusal = str(refused)
        if refusal is not None:
            case.events.clear()
            await self.repository.add_timeline(
                session,
                [
                    {
                        "case_id": signed.case_id,
                        "at": signed.signed_off_at,
                        "kind": "review.decision_refused",
                        "actor": "review",
                        "summary": f"Missing Mondays decision not applied: {refusal}",
                        "source": "review",
                        "event_id": attributes.id,
                    }
                ],
            )
            return
        await self.repository.save(session, case, version)
        await self._publish(session, case)

    async def on_message_status_changed(
        self, session: Transaction, attributes: CloudEventAttributes, change: MessageStatusChanged
    ) -> None:
        """Each message notify sends about a case, and each status it reaches, goes on the case's timeline. A message
        that will not arrive is an action for the case's officer: they must reach the recipient another way, a task
        in their diary. A Family Front Door referral can be owed before casework opened the case, so a message
        without a case id goes on the child's open case, if there is one by then."""
        case_id = change.case_id
        if case_id is None:
            open_case = next(
                (case for case in await self.repository.for_child(session, str(change.child_id)) if case.is_open), None
            )
            if open_case is None:
                if self.exchange is not None:
                    await self.exchange.on_status_changed(session, change, None)
                return
            case_id = UUID(open_case.case_id)
        if self.exchange is not None:
            await self.exchange.on_status_changed(session, change, str(case_id))
        who = change.recipient_role.replace("_", " ")
        entry = {"case_id": case_id, "at": change.changed_at, "actor": "notify", "source": "notify"}
        entries = [
            {
                **entry,
                "kind": f"message.{change.status}",
                "summary": message_summary(change),
                "event_id": attributes.id,
            }
        ]
        await self.repository.add_timeline(session, entries)
        if change.failed and self.tasks is not None:
            await self.tasks.message_failed(
                session, str(case_id), message_key=str(change.message_id), who=who,
                reason=change.reason or change.status, at=change.changed_at,
            )

    async def open_case(
        self, session: Transaction, case: Case, child: Child, school: School | None, safeguarding: Safeguarding
    ) -> None:
        """Store a new case and publish its events, the first with the child's details for other services."""
        await self.repository.add(session, case)
        await self._publish(session, case, child, school, safeguarding)

    async def commit_changes(self, session: Transaction, case: Case, expected_version: int) -> None:
        """Save a case an officer changed, with its timeline entries and published events."""
        await self.repository.save(session, case, expected_version)
        await self._publish(session, case)

    async def _publish(
        self,
        session: Transaction,
        case: Case,
        child: Child | None = None,
        school: School | None = None,
        safeguarding: Safeguarding | None = None,
    ) -> None:
        entries = []
        for event in case.events:
            event_id = uuid4()
            entries.append(
                {
                    "case_id": UUID(case.case_id),
                    "at": event.at,
                    "kind": event.kind,
                    "actor": event.actor,
                    "summary": event.summary,
                    "source": "casework",
                    "event_id": str(event_id),
                }
            )
            family = await self._family(session, case, event)
            contract = self._contract(case, event, child, school, safeguarding, family=family)
            await self.outbox.add(session, contract, key=case.child_id, subject=case.case_id, event_id=event_id)
        await self.repository.add_timeline(session, entries)
        case.events.clear()

    async def _family(
        self, session: Transaction, case: Case, event: domain_events.CaseEvent
    ) -> list[tuple[Case, date | None]]:
        """The case and its linked siblings' cases, each with its child's last day in school, read only for an
        escalation to Missing Mondays (its form lists them)."""
        missing_mondays = isinstance(event, domain_events.CaseEscalated) and (
            event.escalation is vocabulary.EscalationKind.MISSING_MONDAYS
        )
        if not missing_mondays:
            return []
        members = [case]
        if self.records is not None:
            links = await self.records.sibling_links(session, case.case_id)
            found = [await self.repository.get(session, link.other(case.case_id)) for link in links]
            members += [sibling for sibling in found if sibling is not None]
        return [(member, await self._last_day_in_school(session, member)) for member in members]

    async def _last_day_in_school(self, session: Transaction, case: Case) -> date | None:
        """The latest leaving date of the leaver returns behind the case, when casework holds them."""
        if self.returns is None:
            return None
        days = [each.leaving_date for each in await self.returns.for_case(session, case.case_id)
                if each.kind == "leaver" and each.leaving_date is not None]
        return max(days, default=None)

    def _contract(
        self,
        case: Case,
        event: domain_events.CaseEvent,
        child: Child | None,
        school: School | None,
        safeguarding: Safeguarding | None,
        *,
        family: Sequence[tuple[Case, date | None]] = (),
    ) -> case_v1.CaseOpened | case_v1.CaseUpdated | case_v1.CaseEscalated | case_v1.CaseClosed:
        case_id, child_id = UUID(case.case_id), UUID(case.child_id)
        if isinstance(event, domain_events.CaseOpened) and child is not None:
            return case_v1.CaseOpened(
                case_id=case_id,
                child_id=child_id,
                referral_id=UUID(event.referral_id),
                opened_at=event.at,
                priority=Priority(case.priority.value),
                track=Track(case.track.value),
                due_date=case.due_date,
                child=child,
                school=school,
                safeguarding=safeguarding or Safeguarding(),
            )
        if isinstance(event, domain_events.CaseEscalated):
            return case_v1.CaseEscalated(
                case_id=case_id,
                child_id=child_id,
                escalated_at=event.at,
                kind=case_v1.EscalationKind(event.escalation.value),
                cme_score=event.cme_score,
                safeguarding_score=event.safeguarding_score,
                escalated_by=event.actor,
                added_by_chair_reason=event.note if event.added_by_chair else None,
                **(
                    review_form_parts(case, family)
                    if event.escalation is vocabulary.EscalationKind.MISSING_MONDAYS
                    else {}
                ),
            )
        if isinstance(event, domain_events.CaseClosed):
            return case_v1.CaseClosed(
                case_id=case_id, child_id=child_id, closed_at=event.at, reason=event.reason.value, closed_by=event.actor
            )
        # Notify tells the social worker when a case gains a social-care flag or reopens, so those changes carry
        # the case's social-care facts (the only personal data here is the social worker's contact).
        social_care_change = isinstance(event, domain_events.FlagsRaised | domain_events.CaseReopened)
        return case_v1.CaseUpdated(
            case_id=case_id,
            child_id=child_id,
            updated_at=event.at,
            change=event.kind.removeprefix("case."),
            summary=event.summary,
            status=case.status.value,
            priority=Priority(case.priority.value),
            officer_id=case.officer_id,
            flags_raised=event.flags if isinstance(event, domain_events.FlagsRaised) else (),
            safeguarding=social_care_facts(case.flags) if social_care_change else None,
        )
