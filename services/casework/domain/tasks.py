"""The officer's task diary: what a task is, and the rules that raise tasks as time passes (App. D, policy §10.5).

A task belongs to a child (and to their case when there is one), is for one officer or for the team (no
assignee), falls due on a day, carries the case's priority, and is open until someone marks it done with an
outcome note. Officers add tasks (a follow-up date on a contact or a check, or a free task on the case); the
rules below add the rest when `run-due` runs as of an instant.

Every rule is a pure function of what casework holds and the day it runs: it returns the task owed on that day,
or nothing. Each task owed by a rule has a natural key (rule, case or child, due date), so running the rules
again as of the same instant, or a later one, never raises the same task twice.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

import holidays

from contracts.reference.school_age import csa_end
from services.casework.domain.case import Case
from services.casework.domain.errors import InvalidRecord
from services.casework.domain.vocabulary import Priority, Status

MAX_NOTE_LENGTH: Final = 10_000
MAX_TITLE_LENGTH: Final = 200

DEADLINE_WARNING_SCHOOL_DAYS: Final = 3
"""App. D deadlines: the officer is told this many school days before the case's due date, time to act."""
EXCLUSION_AP_SCHOOL_DAY: Final = 6
"""The LA must provide alternative provision from the sixth school day of a permanent exclusion (policy, DOMAIN.md:
"exclusion track (LA provides AP from day 6); CME if AP is not taken up"), so the check falls due that day."""
FURTHER_REVIEW_WARNING_SCHOOL_DAYS: Final = 5
"""A case kept open after Missing Mondays: the lead officer prepares its further review this far ahead."""

_SATURDAY: Final = 5
_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")


class TaskKind(StrEnum):
    FOLLOW_UP_CONTACT = "follow_up_contact"
    FOLLOW_UP_CHECK = "follow_up_check"
    OFFICER_TASK = "officer_task"
    ENQUIRY_DEADLINE = "enquiry_deadline"
    EXCLUSION_AP_CHECK = "exclusion_ap_check"
    PAST_COMPULSORY_SCHOOL_AGE = "past_compulsory_school_age"
    FURTHER_REVIEW = "further_review"
    RECHECK = "recheck"
    MESSAGE_FAILED = "message_failed"
    LOST_PUPIL_CTF = "lost_pupil_ctf"
    EXCHANGE_WITHOUT_CASE = "exchange_without_case"
    AUTHORITY_ACKNOWLEDGED = "authority_acknowledged"


KIND_LABELS: Final = {
    TaskKind.FOLLOW_UP_CONTACT: "Follow up a contact",
    TaskKind.FOLLOW_UP_CHECK: "Follow up a check",
    TaskKind.OFFICER_TASK: "Task",
    TaskKind.ENQUIRY_DEADLINE: "Enquiry deadline",
    TaskKind.EXCLUSION_AP_CHECK: "Day-6 alternative provision check",
    TaskKind.PAST_COMPULSORY_SCHOOL_AGE: "Past compulsory school age",
    TaskKind.FURTHER_REVIEW: "Further Missing Mondays review",
    TaskKind.RECHECK: "Periodic re-check",
    TaskKind.MESSAGE_FAILED: "Message not delivered",
    TaskKind.LOST_PUPIL_CTF: "Lost pupil's CTF",
    TaskKind.EXCHANGE_WITHOUT_CASE: "Exchange message with no case",
    TaskKind.AUTHORITY_ACKNOWLEDGED: "Other authority acknowledged the referral",
}


class TaskState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Task:
    """One entry in the diary. `title` and `outcome_note` are free text an officer may type a name into, so they
    stay out of `repr` (a task reaching a log line or a traceback carries only ids, kinds and dates)."""

    task_id: str
    natural_key: str
    kind: TaskKind
    title: str = field(repr=False)
    due_on: date
    priority: Priority
    child_id: str
    case_id: str | None
    assignee_id: str | None
    created_at: datetime
    created_by: str
    child_label: str = field(default="", repr=False)
    state: TaskState = TaskState.OPEN
    completed_at: datetime | None = None
    completed_by: str | None = None
    outcome_note: str = field(default="", repr=False)

    @property
    def is_open(self) -> bool:
        return self.state is TaskState.OPEN

    @property
    def for_team(self) -> bool:
        return self.assignee_id is None

    def is_overdue(self, today: date) -> bool:
        """Open and past its day (a task due today is not yet overdue)."""
        return self.is_open and self.due_on < today

    def complete(self, by: str, at: datetime, note: str) -> "Task":
        """Mark done with the outcome; a task is done once."""
        if not self.is_open:
            raise InvalidRecord("this task is already done")
        if at.tzinfo is None:
            raise InvalidRecord("timestamps must carry a time zone")
        note = note.strip()
        if not note:
            raise InvalidRecord("enter what was done (the outcome)")
        if len(note) > MAX_NOTE_LENGTH:
            raise InvalidRecord(f"the outcome is limited to {MAX_NOTE_LENGTH} characters")
        return replace(self, state=TaskState.COMPLETED, completed_at=at, completed_by=by, outcome_note=note)


@dataclass(frozen=True)
class TaskDraft:
    """A task a rule or an officer says is owed; the service gives it an id and stores it once per natural key."""

    natural_key: str
    kind: TaskKind
    title: str = field(repr=False)
    due_on: date
    priority: Priority
    child_id: str
    case_id: str | None
    assignee_id: str | None
    child_label: str = field(default="", repr=False)
    """The child's name, for a task with no case to show it (an exclusion leaver)."""

    def as_task(self, task_id: str, created_at: datetime, created_by: str) -> Task:
        return Task(
            task_id=task_id,
            natural_key=self.natural_key,
            kind=self.kind,
            title=self.title,
            due_on=self.due_on,
            priority=self.priority,
            child_id=self.child_id,
            case_id=self.case_id,
            assignee_id=self.assignee_id,
            child_label=self.child_label,
            created_at=created_at,
            created_by=created_by,
        )


def diary_order(tasks: list[Task]) -> list[Task]:
    """Due date first, then priority (P1 first), then when raised: the order the diary pages list tasks in."""
    return sorted(tasks, key=lambda task: (task.due_on, task.priority.urgency_rank, task.created_at, task.task_id))


# ---------------------------------------------------------------------- school days


def is_school_day(day: date) -> bool:
    """A weekday that is not an England bank holiday. Term dates are not configured in casework, so holidays
    count as school days and deadlines come out early: the safe direction (as triage's calendar without terms)."""
    return day.weekday() < _SATURDAY and day not in _BANK_HOLIDAYS


def add_school_days(start: date, school_days: int) -> date:
    """The `school_days`-th school day after `start` (`start` itself never counts)."""
    day, remaining = start, school_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_school_day(day):
            remaining -= 1
    return day


def subtract_school_days(end: date, school_days: int) -> date:
    """The school day `school_days` school days before `end`."""
    day, remaining = end, school_days
    while remaining > 0:
        day -= timedelta(days=1)
        if is_school_day(day):
            remaining -= 1
    return day


# ---------------------------------------------------------------------- officers' tasks


def case_task(case: Case, kind: TaskKind, *, key: str, title: str, due_on: date, assignee_id: str | None) -> TaskDraft:
    """A task on a case: one per kind, case and `key` (what makes it that task: a date, a record)."""
    return TaskDraft(
        natural_key=f"{kind.value}:{case.case_id}:{key}",
        kind=kind,
        title=title,
        due_on=due_on,
        priority=case.priority,
        child_id=case.child_id,
        case_id=case.case_id,
        assignee_id=assignee_id,
    )


def follow_up(case: Case, *, kind: TaskKind, due_on: date, officer_id: str, what: str, key: str) -> TaskDraft:
    """A follow-up date an officer set on a contact or a check: a task for that officer on that day.

    `key` identifies the record it follows up (the case version it was recorded at), so the same form
    submitted twice raises one task."""
    if kind not in (TaskKind.FOLLOW_UP_CONTACT, TaskKind.FOLLOW_UP_CHECK):
        raise InvalidRecord("a follow-up follows up a contact or a check")
    return case_task(
        case,
        kind,
        key=key,
        title=f"Follow up: {what}"[:MAX_TITLE_LENGTH],
        due_on=due_on,
        assignee_id=officer_id,
    )


def officer_task(case: Case, *, title: str, due_on: date, assignee_id: str | None, key: str) -> TaskDraft:
    """A free task an officer adds to a case, for an officer or for the team."""
    title = title.strip()
    if not title:
        raise InvalidRecord("enter what needs doing")
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidRecord(f"describe the task in no more than {MAX_TITLE_LENGTH} characters")
    if not case.is_open:
        raise InvalidRecord("the case is closed: tasks can only be added to an open case")
    return case_task(
        case,
        TaskKind.OFFICER_TASK,
        key=key,
        title=title,
        due_on=due_on,
        assignee_id=assignee_id,
    )


# ---------------------------------------------------------------------- rules, as of a day


def _worker(case: Case) -> str | None:
    """Who works the case now: the lead officer while it is under their oversight, else its officer (None: team)."""
    return case.lead_officer_oversight or case.officer_id


def enquiry_deadline_task(case: Case, today: date) -> TaskDraft | None:
    """App. D: the case's enquiry due date (set by triage) is near. Raised `DEADLINE_WARNING_SCHOOL_DAYS` school
    days before it, due on it; for an open case still in its enquiries (not one waiting on Missing Mondays, an
    outcome, or a further review)."""
    if not case.is_open or case.status is Status.OUTCOME_RECORDED or case.missing_mondays_pending:
        return None
    if case.review_decision is not None:
        return None
    if today < subtract_school_days(case.due_date, DEADLINE_WARNING_SCHOOL_DAYS):
        return None
    return case_task(
        case,
        TaskKind.ENQUIRY_DEADLINE,
        key=case.due_date.isoformat(),
        title="Enquiries due: record the outcome, or escalate, by the due date",
        due_on=case.due_date,
        assignee_id=_worker(case),
    )


def past_school_age_task(case: Case, today: date) -> TaskDraft | None:
    """An open case whose child has passed compulsory school age (the day after the school leaving date): prompt
    the officer to close it as past CSA or hand the child to the post-16 team. Due on that first day."""
    if not case.is_open or case.child.date_of_birth is None:
        return None
    leaving_date = csa_end(case.child.date_of_birth)
    first_day_past = leaving_date + timedelta(days=1)
    if today < first_day_past:
        return None
    return case_task(
        case,
        TaskKind.PAST_COMPULSORY_SCHOOL_AGE,
        key=leaving_date.isoformat(),
        title="Past compulsory school age: close the case or refer to the post-16 team",
        due_on=first_day_past,
        assignee_id=_worker(case),
    )


def further_review_task(case: Case, today: date) -> TaskDraft | None:
    """A case kept open after Missing Mondays (HI: reviewed again in 12 months): the lead officer prepares the
    further review, raised `FURTHER_REVIEW_WARNING_SCHOOL_DAYS` school days before the next review date."""
    decision = case.review_decision
    if not case.is_open or decision is None or decision.next_review_date is None:
        return None
    if today < subtract_school_days(decision.next_review_date, FURTHER_REVIEW_WARNING_SCHOOL_DAYS):
        return None
    return case_task(
        case,
        TaskKind.FURTHER_REVIEW,
        key=decision.next_review_date.isoformat(),
        title=f"Further Missing Mondays review ({decision.risk_band.value}): bring the case's checks up to date",
        due_on=decision.next_review_date,
        assignee_id=_worker(case),
    )


def case_tasks_due(case: Case, today: date) -> list[TaskDraft]:
    """Every rule's task owed on `today` for one case."""
    rules = (enquiry_deadline_task, past_school_age_task, further_review_task)
    return [draft for rule in rules if (draft := rule(case, today)) is not None]


@dataclass(frozen=True)
class ExclusionLeaver:
    """A pupil a school deleted on the permanent-exclusion ground (8(1)(m) / 9(1)(o)): triage put them on the
    exclusion track, not CME, so there may be no case. Casework keeps this to check on day 6 that alternative
    provision was taken up (if it was not, the child is missing education)."""

    child_id: str
    excluded_on: date
    case_id: str | None = None
    child_label: str = field(default="", repr=False)


def exclusion_ap_task(leaver: ExclusionLeaver, today: date) -> TaskDraft | None:
    """Due, for the team, on the sixth school day after the exclusion; nothing before it."""
    due_on = add_school_days(leaver.excluded_on, EXCLUSION_AP_SCHOOL_DAY)
    if today < due_on:
        return None
    return TaskDraft(
        natural_key=f"{TaskKind.EXCLUSION_AP_CHECK.value}:{leaver.child_id}:{leaver.excluded_on.isoformat()}",
        kind=TaskKind.EXCLUSION_AP_CHECK,
        title="Permanently excluded: check the alternative provision from day 6 has been taken up; "
        "if not, refer as missing education",
        due_on=due_on,
        # Excluded children are an App. B vulnerable group: priority 2.
        priority=Priority.P2,
        child_id=leaver.child_id,
        case_id=leaver.case_id,
        assignee_id=None,
        child_label=leaver.child_label,
    )


# ---------------------------------------------------------------------- tasks from events


def recheck_task(case: Case, due_on: date) -> TaskDraft | None:
    """Review says a periodic re-check (policy §10.5) is due on a case kept open: a task for the lead officer."""
    if not case.is_open:
        return None
    return case_task(
        case,
        TaskKind.RECHECK,
        key=due_on.isoformat(),
        title="Periodic re-check: search national and local databases for the child",
        due_on=due_on,
        assignee_id=_worker(case),
    )


def message_failed_task(case: Case, message_key: str, who: str, reason: str, on: date) -> TaskDraft:
    """A message notify could not deliver about the case: its officer must reach the recipient another way."""
    return TaskDraft(
        natural_key=f"{TaskKind.MESSAGE_FAILED.value}:{message_key}",
        kind=TaskKind.MESSAGE_FAILED,
        title=f"The message to the {who} could not be delivered ({reason}): contact them another way and record it"[
            :MAX_TITLE_LENGTH
        ],
        due_on=on,
        priority=case.priority,
        child_id=case.child_id,
        case_id=case.case_id,
        assignee_id=_worker(case),
    )


def lost_pupil_ctf_task(child_id: str, case: Case | None, received_on: date, child_label: str) -> TaskDraft:
    """A school sent a pupil's CTF to the Lost Pupil Database (LA XXX, school XXXX): it does not know where the
    pupil went, so the team checks whether the child is missing education. Owed from the day the file arrives; for
    the case's officer when the child has an open case, else for the team."""
    return TaskDraft(
        natural_key=f"{TaskKind.LOST_PUPIL_CTF.value}:{child_id}:{received_on.isoformat()}",
        kind=TaskKind.LOST_PUPIL_CTF,
        title="A school sent this pupil's CTF to the Lost Pupil Database: find out where the child is "
        "and whether they are receiving education",
        due_on=received_on,
        priority=case.priority if case is not None else Priority.P2,
        child_id=child_id,
        case_id=case.case_id if case is not None else None,
        assignee_id=_worker(case) if case is not None else None,
        child_label=child_label,
    )
