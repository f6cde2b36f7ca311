"""Who is owed which message (policy §2.4, §11.1, §11.2). Every person here is invented."""

from datetime import date

import pytest

from services.notify.domain.delivery import Status, may_move, parse_status
from services.notify.domain.messages import (
    CaseOpenedFacts,
    CaseUpdatedFacts,
    FrontDoorFacts,
    Purpose,
    RecipientRole,
    SocialCare,
    family_front_door_referral,
    social_worker_message,
    social_worker_update,
)

WORKER = {"social_worker_name": "Sam Worker", "social_worker_email": "sam@example.org"}


def opened(**social_care: object) -> CaseOpenedFacts:
    return CaseOpenedFacts(SocialCare(**{**WORKER, **social_care}), "CME-1234", "Test County Council")  # type: ignore[arg-type]


def updated(change: str, flags: tuple[str, ...] = (), **social_care: object) -> CaseUpdatedFacts:
    return CaseUpdatedFacts(
        change,
        flags,
        SocialCare(**{**WORKER, **social_care}),
        "CME-1234",
        "Test County Council",  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("flag", ["open_to_social_care", "child_in_need", "child_protection_plan", "looked_after"])
def test_a_case_opened_for_a_child_open_to_social_care_owes_the_named_social_worker_a_message(flag: str) -> None:
    message = social_worker_message(opened(**{flag: True}))
    assert message is not None
    assert message.purpose is Purpose.SOCIAL_WORKER_CASE_OPENED
    assert message.recipient_role is RecipientRole.SOCIAL_WORKER
    assert message.recipient_address == "sam@example.org"
    assert message.personalisation["case_reference"] == "CME-1234"
    assert "CME-1234" in message.subject


def test_no_message_when_the_child_is_not_open_to_social_care() -> None:
    assert social_worker_message(opened()) is None


def test_no_message_without_a_named_social_worker_to_send_it_to() -> None:
    assert social_worker_message(opened(child_in_need=True, social_worker_email=None)) is None


def test_a_social_care_flag_raised_on_an_open_case_owes_the_social_worker_an_update() -> None:
    message = social_worker_update(updated("flags_raised", ("cp", "ehcp"), child_protection_plan=True))
    assert message is not None
    assert message.purpose is Purpose.SOCIAL_WORKER_CASE_UPDATED
    assert "child protection plan" in message.personalisation["what_happened"]
    assert "ehcp" not in message.subject


def test_flags_that_are_not_social_care_owe_no_update() -> None:
    assert social_worker_update(updated("flags_raised", ("ehcp", "whereabouts_unknown"), child_in_need=True)) is None


def test_a_reopened_case_of_a_child_open_to_social_care_owes_the_social_worker_an_update() -> None:
    message = social_worker_update(updated("reopened", child_in_need=True))
    assert message is not None
    assert "reopened" in message.subject


def test_a_reopened_case_of_a_child_not_known_to_social_care_owes_nothing() -> None:
    assert social_worker_update(updated("reopened")) is None


def test_other_changes_owe_the_social_worker_nothing() -> None:
    assert social_worker_update(updated("allocated", child_in_need=True)) is None


def front_door(**changes: object) -> FrontDoorFacts:
    values: dict[str, object] = {
        "refer_to_family_front_door": True,
        "family_front_door_email": "ffd@example.org",
        "referral_reference": "REF-1234",
        "child_name": "Ada Testperson",
        "date_of_birth": date(2014, 5, 10),
        "reasons": ("safeguarding concern on the referral",),
        "authority_name": "Test County Council",
    }
    return FrontDoorFacts(**{**values, **changes})  # type: ignore[arg-type]


def test_a_safeguarding_concern_is_referred_to_the_family_front_door_with_what_identifies_the_child() -> None:
    message = family_front_door_referral(front_door())
    assert message is not None
    assert message.recipient_role is RecipientRole.FAMILY_FRONT_DOOR
    assert message.recipient_address == "ffd@example.org"
    assert message.personalisation["child_name"] == "Ada Testperson"
    assert message.personalisation["date_of_birth"] == "10 May 2014"
    assert "Ada" not in message.subject  # the subject goes on the timeline and in the delivery log's summaries


def test_no_front_door_referral_without_a_concern_or_an_address() -> None:
    assert family_front_door_referral(front_door(refer_to_family_front_door=False)) is None
    assert family_front_door_referral(front_door(family_front_door_email=None)) is None


def test_a_status_only_moves_forward_and_a_final_status_never_changes() -> None:
    assert may_move(Status.PENDING, Status.CREATED)
    assert may_move(Status.CREATED, Status.DELIVERED)
    assert not may_move(Status.DELIVERED, Status.SENDING)
    assert not may_move(Status.PERMANENT_FAILURE, Status.DELIVERED)
    assert not may_move(Status.SENDING, Status.CREATED)
    assert parse_status("received") is Status.SENDING
    assert parse_status("nonsense") is None
