from services.notify.domain.messages import CaseOpenedFacts, Purpose, social_worker_message


def facts(**changes: object) -> CaseOpenedFacts:
    values: dict[str, object] = {
        "open_to_social_care": True,
        "social_worker_name": "Sam Worker",
        "social_worker_email": "sam@example.org",
        "case_reference": "CME-1234",
        "authority_name": "Test County Council",
    }
    values.update(changes)
    return CaseOpenedFacts(**values)  # type: ignore[arg-type]


def test_a_child_open_to_social_care_gets_a_message_to_the_named_social_worker() -> None:
    message = social_worker_message(facts())
    assert message is not None
    assert message.purpose is Purpose.SOCIAL_WORKER_CASE_OPENED
    assert message.recipient_address == "sam@example.org"
    assert "CME-1234" in message.subject


def test_no_message_when_the_child_is_not_open_to_social_care() -> None:
    assert social_worker_message(facts(open_to_social_care=False)) is None


def test_no_message_without_a_named_social_worker_to_send_it_to() -> None:
    assert social_worker_message(facts(social_worker_email=None)) is None
