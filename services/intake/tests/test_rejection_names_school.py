"""A school return intake rejects names its school in the rejection event (`SubmissionRejected.school_id`), so
reporting can count each school's rejected returns; a rejection of a submission no school sends names none."""

from contracts.events.intake_v1 import Problem, SubmissionRejected
from services.intake.entrypoints.http import _school_field
from services.intake.tests import submissions
from services.intake.tests.submissions import child
from services.intake.tests.test_service_layer import TRANSACTION, Intake


async def test_a_rejected_leaver_return_names_its_school() -> None:
    intake = Intake()
    leaver = submissions.leaver(child=child(upn="A801200005001"))

    outcome = await intake.service.submit(TRANSACTION, leaver, channel="kafka")

    assert not outcome.accepted
    [rejection] = intake.outbox.published
    assert isinstance(rejection.event, SubmissionRejected)
    assert rejection.event.school_id == leaver.school.establishment_id


async def test_a_rejection_without_a_school_names_none() -> None:
    intake = Intake()

    problem = Problem(field="documents", message="Attach the evidence")
    await intake.service.reject(TRANSACTION, [problem], None, "leaver", "http")  # as the documents API refuses a file

    [rejection] = intake.outbox.published
    assert isinstance(rejection.event, SubmissionRejected)
    assert rejection.event.school_id is None


def test_a_return_that_failed_its_contract_names_its_school_only_in_the_establishment_ids_form() -> None:
    assert _school_field({"school": {"establishment_id": "8852001"}, "child": 3}) == "8852001"
    for unusable in ({"school": {"establishment_id": "88520"}}, {"school": {"establishment_id": "885200\u0661"}},
                     {"school": "8852001"}, {"school": {"establishment_id": 8852001}}, ["school"], None):
        assert _school_field(unusable) is None
