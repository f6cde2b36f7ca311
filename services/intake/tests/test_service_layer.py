"""Intake's use cases against in-memory ports: no database, no broker."""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest

from cme_runtime.db import Transaction
from cme_runtime.testing import RecordingOutbox
from contracts.envelope import CloudEventAttributes
from contracts.events.intake_v1 import CtfFileSubmitted, LeaverSubmitted, Problem, SubmissionRejected
from contracts.events.referral_v1 import ReferralKind, ReferralReceived
from services.intake.app import PUBLISHES
from services.intake.domain.schools import load_establishments_csv
from services.intake.entrypoints import kafka
from services.intake.service_layer.normalisation import submission_person
from services.intake.service_layer.submission_rules import Clock, SubmissionRules
from services.intake.service_layer.submissions import CtfPupilProblem, IntakeService, UnreadableSubmission
from services.intake.tests import submissions
from services.intake.tests.fakes import FakeRegister, FakeSubmissionStore
from services.intake.tests.submissions import NOW, child

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "ctf"
# No real transaction: the fakes never use it, and the service layer only hands it on.
TRANSACTION = cast(Transaction, object())
UPDATE_PROBLEM = Problem(
    field="updates_submission_id",
    message="Enter the submission ID of the absence return this updates. No accepted absence return has that ID",
)


def _load_ctf_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_ctf", FIXTURES / "make_ctf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_ctf: Callable[..., bytes] = _load_ctf_generator().build_ctf
# build_ctf(3, malformed_at=1): pupils 0 and 2 are readable; pupil 1 has no surname and a 30 February birthday.
FIRST_PUPIL_UPN = "X885402817001"


class FixedClock(Clock):
    def now(self) -> datetime:
        return NOW


RULES = SubmissionRules(
    load_establishments_csv(
        "URN,LA (code),EstablishmentNumber,EstablishmentName,PhaseOfEducation (name),EstablishmentStatus (name),"
        "Postcode\n"
        "990001,885,2001,Puddleby Brook Primary School (fictional),Primary,Open,WR5 2NP\n",
        "885",
    ),
    home_la_code="885",
    max_days_ahead=5,
    clock=FixedClock(),
)


@dataclass
class Intake:
    outbox: RecordingOutbox = field(
        default_factory=lambda: RecordingOutbox(declared=frozenset(event.event_type for event in PUBLISHES))
    )
    register: FakeRegister = field(default_factory=FakeRegister)
    store: FakeSubmissionStore = field(default_factory=FakeSubmissionStore)

    @property
    def service(self) -> IntakeService:
        return IntakeService(self.outbox, self.register, self.store, RULES)


@pytest.fixture
def intake() -> Intake:
    return Intake()


async def test_an_accepted_leaver_return_publishes_one_referral_keyed_by_the_child(intake: Intake) -> None:
    outcome = await intake.service.submit(TRANSACTION, submissions.leaver(), channel="http", client="school-mis")

    assert outcome.accepted
    assert not outcome.duplicate
    assert outcome.identity_decision == "new_child"
    assert [(each.key, each.subject) for each in intake.outbox.published] == [
        (str(outcome.child_id), str(outcome.referral_id))
    ]
    referral = intake.outbox.published[0].event
    assert isinstance(referral, ReferralReceived)
    assert (referral.referral_id, referral.child_id, referral.submission_id, referral.kind) == (
        outcome.referral_id,
        outcome.child_id,
        "unit-leaver-1",
        ReferralKind.LEAVER,
    )
    stored = intake.store.submissions["unit-leaver-1"]
    assert (stored.status, stored.channel, stored.client, stored.referral_id, stored.child_id) == (
        "accepted",
        "http",
        "school-mis",
        outcome.referral_id,
        outcome.child_id,
    )
    assert [(each.child_id, each.kind, each.match_decision) for each in intake.store.referrals.values()] == [
        (outcome.child_id, ReferralKind.LEAVER, "new_child")
    ]
    assert [(each.submission_id, each.referral_id) for each in intake.register.resolved] == [
        ("unit-leaver-1", outcome.referral_id)
    ]
    assert intake.store.locked == ["unit-leaver-1"]


async def test_a_second_return_about_the_same_child_is_keyed_by_the_same_child(intake: Intake) -> None:
    first = await intake.service.submit(TRANSACTION, submissions.leaver(), channel="http")
    second = await intake.service.submit(TRANSACTION, submissions.absence(), channel="http")

    assert second.accepted
    assert second.identity_decision == "matched_existing"
    assert second.child_id == first.child_id
    assert [each.key for each in intake.outbox.published] == [str(first.child_id), str(first.child_id)]


async def test_a_rejected_leaver_return_publishes_its_problems_and_stores_no_referral(intake: Intake) -> None:
    leaver = submissions.leaver(child=child(upn="A801200005001"))

    outcome = await intake.service.submit(TRANSACTION, leaver, channel="kafka")

    assert not outcome.accepted
    assert [problem.field for problem in outcome.problems] == ["child.upn"]
    assert len(intake.outbox.published) == 1
    rejection = intake.outbox.published[0]
    assert isinstance(rejection.event, SubmissionRejected)
    assert (rejection.key, rejection.event.submission_id, rejection.event.submission_type) == (
        "unit-leaver-1",
        "unit-leaver-1",
        "leaver",
    )
    assert rejection.event.problems == outcome.problems
    assert intake.store.referrals == {}
    assert intake.register.resolved == []
    stored = intake.store.submissions["unit-leaver-1"]
    assert (stored.status, stored.problems, stored.referral_id, stored.child_id) == (
        "rejected",
        outcome.problems,
        None,
        None,
    )


async def test_the_same_submission_twice_gives_the_first_outcome_and_publishes_nothing_more(intake: Intake) -> None:
    first = await intake.service.submit(TRANSACTION, submissions.leaver(), channel="http")

    again = await intake.service.submit(TRANSACTION, submissions.leaver(), channel="kafka")

    assert again.duplicate
    assert (again.accepted, again.referral_id, again.child_id, again.identity_decision) == (
        True,
        first.referral_id,
        first.child_id,
        "new_child",
    )
    assert len(intake.outbox.published) == 1
    assert len(intake.store.referrals) == 1
    assert len(intake.register.resolved) == 1
    assert intake.store.submissions["unit-leaver-1"].channel == "http"


async def test_a_rejected_submission_sent_again_corrected_gives_the_first_rejection(intake: Intake) -> None:
    first = await intake.service.submit(
        TRANSACTION, submissions.leaver(child=child(upn="A801200005001")), channel="http"
    )

    again = await intake.service.submit(TRANSACTION, submissions.leaver(), channel="http")

    assert again.duplicate
    assert not again.accepted
    assert again.problems == first.problems
    assert len(intake.outbox.of_type(SubmissionRejected)) == 1
    assert intake.outbox.of_type(ReferralReceived) == []
    assert intake.register.resolved == []


async def test_an_update_naming_an_unknown_submission_is_rejected(intake: Intake) -> None:
    update = submissions.absence(submission_id="unit-absence-2", updates_submission_id="unit-absence-unknown")

    outcome = await intake.service.submit(TRANSACTION, update, channel="http")

    assert not outcome.accepted
    assert outcome.problems == (UPDATE_PROBLEM,)
    assert [event.problems for event in intake.outbox.of_type(SubmissionRejected)] == [(UPDATE_PROBLEM,)]
    assert intake.store.referrals == {}


@pytest.mark.parametrize(
    "earlier",
    [
        pytest.param(submissions.leaver(submission_id="unit-earlier"), id="another type"),
        pytest.param(
            submissions.absence(submission_id="unit-earlier", child=child(upn="A801200005001")), id="rejected"
        ),
    ],
)
async def test_an_update_naming_a_submission_it_cannot_update_is_rejected(intake: Intake, earlier: Any) -> None:
    await intake.service.submit(TRANSACTION, earlier, channel="http")
    update = submissions.absence(submission_id="unit-absence-2", updates_submission_id="unit-earlier")

    outcome = await intake.service.submit(TRANSACTION, update, channel="http")

    assert outcome.problems == (UPDATE_PROBLEM,)
    assert "unit-absence-2" not in {referral.submission_id for referral in intake.store.referrals.values()}


async def test_an_update_naming_itself_is_rejected(intake: Intake) -> None:
    update = submissions.absence(updates_submission_id="unit-absence-1")

    outcome = await intake.service.submit(TRANSACTION, update, channel="http")

    assert outcome.problems == (UPDATE_PROBLEM,)


async def test_an_update_naming_an_accepted_submission_of_its_type_is_accepted(intake: Intake) -> None:
    original = await intake.service.submit(TRANSACTION, submissions.absence(), channel="http")
    update = submissions.absence(submission_id="unit-absence-2", updates_submission_id="unit-absence-1")

    outcome = await intake.service.submit(TRANSACTION, update, channel="http")

    assert outcome.accepted
    assert outcome.child_id == original.child_id
    assert intake.store.submissions["unit-absence-2"].updates_submission_id == "unit-absence-1"
    assert len(intake.outbox.of_type(ReferralReceived)) == 2


async def test_a_ctf_with_one_malformed_pupil_keeps_the_others_and_reports_the_pupil(intake: Intake) -> None:
    outcome = await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", build_ctf(3, malformed_at=1), "http")

    assert outcome.accepted
    assert (outcome.pupils, outcome.accepted_pupils, outcome.rejected_pupils) == (3, 2, 1)
    assert [(problem.index, problem.field) for problem in outcome.pupil_problems] == [(1, "Surname"), (1, "DOB")]
    rejections = intake.outbox.of_type(SubmissionRejected)
    assert len(intake.outbox.published) == len(rejections) == 1
    rejection = rejections[0]
    assert isinstance(rejection, SubmissionRejected)
    assert (rejection.submission_id, rejection.submission_type) == ("unit-ctf-1#1", "ctf")
    assert [problem.field for problem in rejection.problems] == ["Surname", "DOB"]
    # A bulk feed is not a referral by itself: none of these children is known to CME work.
    assert intake.store.referrals == {}
    pupils = {
        record.submission_id: (record.status, record.part_of, record.child_id is not None)
        for record in intake.store.submissions.values()
        if record.part_of is not None
    }
    assert pupils == {
        "unit-ctf-1#0": ("accepted", "unit-ctf-1", True),
        "unit-ctf-1#1": ("rejected", "unit-ctf-1", False),
        "unit-ctf-1#2": ("accepted", "unit-ctf-1", True),
    }
    assert intake.store.submissions["unit-ctf-1#1"].problems == rejection.problems
    file = intake.store.ctf_files["unit-ctf-1"]
    assert (file.pupils, file.accepted, file.rejected, file.source_school_id, file.destination_school_id) == (
        3,
        2,
        1,
        "8854028",
        "8854027",
    )
    assert [problem["field"] for problem in file.problems] == ["Surname", "DOB"]


async def test_a_ctf_pupil_already_known_to_cme_work_becomes_a_bulk_feed_referral(intake: Intake) -> None:
    leaver = await intake.service.submit(
        TRANSACTION, submissions.leaver(child=child(upn=FIRST_PUPIL_UPN)), channel="http"
    )

    outcome = await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", build_ctf(3, malformed_at=1), "http")

    assert outcome.accepted_pupils == 2
    bulk = intake.outbox.of_type(ReferralReceived)[1:]
    assert [(event.kind, event.child_id, event.submission_id) for event in bulk] == [
        (ReferralKind.CTF_BULK, leaver.child_id, "unit-ctf-1#0")
    ]
    assert intake.outbox.published[1].key == str(leaver.child_id)
    assert intake.store.submissions["unit-ctf-1#0"].referral_id == bulk[0].referral_id
    assert intake.store.submissions["unit-ctf-1#2"].referral_id is None


async def test_a_ctf_sent_twice_gives_the_first_outcome_and_publishes_nothing_more(intake: Intake) -> None:
    first = await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", build_ctf(3, malformed_at=1), "http")
    published = len(intake.outbox.published)

    again = await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", build_ctf(3, malformed_at=1), "http")

    assert again.duplicate
    assert (again.accepted, again.pupils, again.accepted_pupils, again.rejected_pupils) == (True, 3, 2, 1)
    assert again.pupil_problems == first.pupil_problems
    assert all(isinstance(problem, CtfPupilProblem) for problem in again.pupil_problems)
    assert len(intake.outbox.published) == published
    assert len(intake.register.resolved) == 2


async def test_a_ctf_reusing_the_id_of_another_submission_is_refused_without_storing_it(intake: Intake) -> None:
    await intake.service.submit(TRANSACTION, submissions.leaver(submission_id="unit-shared-id"), channel="http")

    outcome = await intake.service.submit_ctf(TRANSACTION, "unit-shared-id", build_ctf(3), "http")

    assert not outcome.accepted
    assert [problem.field for problem in outcome.problems] == ["submission_id"]
    assert intake.store.ctf_files == {}
    assert len(intake.outbox.published) == 1


async def test_a_file_that_is_not_a_ctf_is_rejected_whole(intake: Intake) -> None:
    outcome = await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", b"not xml", "http")

    assert not outcome.accepted
    assert [problem.field for problem in outcome.problems] == ["file"]
    assert intake.store.submissions["unit-ctf-1"].status == "rejected"
    assert intake.store.ctf_files == {}
    assert intake.register.resolved == []
    assert [event.submission_id for event in intake.outbox.of_type(SubmissionRejected)] == ["unit-ctf-1"]


@dataclass
class CapturingConsumers:
    handlers: dict[str, Any] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def subscribe(
        self, topic: Any, accepts: Any, handler: Any, description: str | None = None, name: str = "", **options: Any
    ) -> None:
        self.topics += [topic] if isinstance(topic, str) else list(topic)
        self.handlers[name] = handler
        self.options[name] = options


def _attributes(event_type: str) -> CloudEventAttributes:
    return CloudEventAttributes(id="unit-event-1", source="unit-tests", type=event_type, time=NOW)


async def test_the_kafka_handler_routes_a_ctf_file_and_a_plain_submission(intake: Intake) -> None:
    consumers = CapturingConsumers()
    kafka.subscribe(consumers, intake.service)
    handler = consumers.handlers["submissions"]
    ctf = CtfFileSubmitted.model_validate(
        {
            "submission_id": "unit-ctf-1",
            "submitted_at": NOW.isoformat(),
            "submitter": {"name": "Test Administrator", "email": "admin@example.com"},
            "content": build_ctf(3, malformed_at=1).decode(),
        }
    )

    await handler(TRANSACTION, _attributes(CtfFileSubmitted.event_type), ctf)
    await handler(TRANSACTION, _attributes(LeaverSubmitted.event_type), submissions.leaver())

    assert consumers.options["submissions"]["batch"] is True
    assert CtfFileSubmitted.topic in consumers.topics
    assert submissions.leaver().topic in consumers.topics
    assert intake.store.ctf_files["unit-ctf-1"].pupils == 3
    assert {record.submission_id: record.channel for record in intake.store.submissions.values()} == {
        "unit-ctf-1": "kafka",
        "unit-ctf-1#0": "kafka",
        "unit-ctf-1#1": "kafka",
        "unit-ctf-1#2": "kafka",
        "unit-leaver-1": "kafka",
    }
    assert [event.submission_id for event in intake.outbox.of_type(ReferralReceived)] == ["unit-leaver-1"]


async def test_a_batch_gives_each_entry_the_outcome_it_would_have_alone_in_order(intake: Intake) -> None:
    first = submissions.leaver(submission_id="unit-batch-a")
    unreadable = UnreadableSubmission(
        (Problem(field="child.date_of_birth", message="Enter child date of birth"),), "unit-batch-b", "leaver"
    )
    same_child = submissions.absence(submission_id="unit-batch-c")

    outcomes = await intake.service.submit_batch(
        TRANSACTION, [first, unreadable, same_child, first], channel="http", client="school-mis"
    )

    assert [(each.submission_id, each.accepted, each.duplicate) for each in outcomes] == [
        ("unit-batch-a", True, False),
        ("unit-batch-b", False, False),
        ("unit-batch-c", True, False),
        ("unit-batch-a", True, True),
    ]
    assert outcomes[1].problems == unreadable.problems
    # The second return finds the child the first one added, within the same batch.
    assert outcomes[2].child_id == outcomes[0].child_id
    assert outcomes[2].identity_decision == "matched_existing"
    assert outcomes[3].referral_id == outcomes[0].referral_id
    assert [type(each.event) for each in intake.outbox.published] == [
        ReferralReceived,
        SubmissionRejected,
        ReferralReceived,
    ]
    assert {id_: record.status for id_, record in intake.store.submissions.items()} == {
        "unit-batch-a": "accepted",
        "unit-batch-b": "rejected",
        "unit-batch-c": "accepted",
    }
    assert {record.client for record in intake.store.submissions.values()} == {"school-mis"}


async def test_a_batch_takes_every_lock_its_entries_need_before_the_first_entry(intake: Intake) -> None:
    later, earlier = submissions.leaver(submission_id="unit-batch-z"), submissions.absence(submission_id="unit-batch-m")
    unreadable = UnreadableSubmission((Problem(field="submission_type", message="Select"),), "unit-batch-x")

    await intake.service.submit_batch(TRANSACTION, [later, unreadable, earlier], channel="http")

    # Both ids at once and sorted, before each entry's own lock as it is submitted.
    assert intake.store.locked == ["unit-batch-m", "unit-batch-z", "unit-batch-z", "unit-batch-m"]
    assert intake.register.locked == [submission_person(later), submission_person(earlier)]


async def test_the_kafka_batch_locks_the_submissions_it_is_given_and_skips_ctf_files(intake: Intake) -> None:
    consumers = CapturingConsumers()
    kafka.subscribe(consumers, intake.service)
    ctf = CtfFileSubmitted.model_validate(
        {"submission_id": "unit-ctf-1", "submitted_at": NOW.isoformat(), "content": build_ctf(1).decode()}
    )

    await consumers.options["submissions"]["before_batch"](TRANSACTION, [ctf, submissions.leaver()])

    assert intake.store.locked == ["unit-leaver-1"]
    assert intake.register.locked == [submission_person(submissions.leaver())]


async def test_a_ctf_file_locks_every_readable_pupil_before_resolving_the_first(intake: Intake) -> None:
    await intake.service.submit_ctf(TRANSACTION, "unit-ctf-1", build_ctf(3, malformed_at=1), "http")

    # Pupil 1 is unreadable: the two others are locked at once, then resolved.
    assert [record.given_name for record in intake.register.locked] == [
        each.record.given_name for each in intake.register.resolved
    ]
    assert len(intake.register.locked) == 2
