"""The officer's referral form, question by question: what each answer must look like, which question comes next,
where intake's problems go back to, and the submission each kind of referrer becomes."""

from datetime import UTC, date, datetime
from typing import Any

from contracts.events.intake_v1 import LaEnquirySubmitted, ProfessionalReferralSubmitted, SocialCareAlertSubmitted
from services.casework.domain import referral_form as form

TODAY = date(2026, 12, 3)
ANSWERS: dict[str, dict[str, Any]] = {
    "how-received": {"received_by": "phone"},
    "referrer": {"referrer_type": "housing"},
    "referrer-details": {"referrer_name": "A Housing Officer", "referrer_organisation": "District housing",
                         "referrer_phone": "01905 000000"},
    "child-name": {"given_name": "Ava", "family_name": "Example"},
    "child-dob": {"dob_day": "27", "dob_month": "3", "dob_year": "2014"},
    "child-gender": {"sex": "F"},
    "child-address": {"address_line1": "1 Example Street", "town": "Worcester", "postcode": "WR1 1AA"},
    "child-upn": {"upn": ""},
    "child-school": {"school_id": "", "school_name": ""},
    "concern": {"concern": "The family moved in three months ago and the child is not at school"},
    "safeguarding": {"safeguarding": ["none"]},
}


def answered(**overrides: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {"_completed": []}
    for slug in form.STEP_SLUGS:
        given, errors = form.read_step(slug, {**ANSWERS[slug], **overrides.get(slug, {})}, answers, TODAY)
        assert errors == {}, (slug, errors)
        answers = form.record(answers, slug, given)
    return answers


def test_each_question_leads_to_the_next_unanswered_one_then_to_check_answers() -> None:
    answers: dict[str, Any] = {"_completed": []}
    visited = []
    slug = form.STEP_SLUGS[0]
    while slug != form.CHECK:
        visited.append(slug)
        given, errors = form.read_step(slug, ANSWERS[slug], answers, TODAY)
        assert errors == {}
        answers = form.record(answers, slug, given)
        slug = form.next_step(answers, slug)
    assert tuple(visited) == form.STEP_SLUGS


def test_check_answers_is_not_reached_while_a_question_is_unanswered() -> None:
    answers = answered()
    answers["_completed"] = [slug for slug in answers["_completed"] if slug != "child-dob"]
    assert form.next_step(answers, form.CHECK) == "child-dob"


def test_changing_an_answer_from_check_answers_goes_back_to_check_answers() -> None:
    answers = answered()
    given, _ = form.read_step("child-name", {"given_name": "Eva", "family_name": "Example"}, answers, TODAY)
    changed = form.record(answers, "child-name", given)
    assert form.next_step(changed, "child-name") == form.CHECK
    assert changed["given_name"] == "Eva"


def test_changing_who_referred_asks_for_their_details_and_what_they_said_again() -> None:
    answers = answered()
    given, _ = form.read_step("referrer", {"referrer_type": "social_care"}, answers, TODAY)
    changed = form.record(answers, "referrer", given)
    assert form.next_step(changed, "referrer") == "referrer-details"
    assert "concern" not in form.completed(changed)


def test_required_answers_are_asked_for_in_words() -> None:
    assert form.read_step("how-received", {}, {}, TODAY)[1] == {"received_by": "Select how the referral was received"}
    assert form.read_step("child-name", {"given_name": " "}, {}, TODAY)[1] == {
        "given_name": "Enter the child's first name", "family_name": "Enter the child's last name"}
    assert form.read_step("concern", {}, {"referrer_type": "public"}, TODAY)[1] == {
        "concern": "Enter what the referrer told you"}
    assert set(form.read_step("concern", {"concern": "x"}, {"referrer_type": "social_care"}, TODAY)[1]) == {
        "alert_type"}


def test_the_referrer_must_be_contactable_and_an_organisation_named_unless_a_member_of_the_public() -> None:
    details = {"referrer_name": "Someone"}
    assert form.read_step("referrer-details", details, {"referrer_type": "public"}, TODAY)[1] == {
        "referrer_phone": "Enter a phone number or an email address to contact the referrer"}
    errors = form.read_step("referrer-details", {"referrer_phone": "1"}, {"referrer_type": "police"}, TODAY)[1]
    assert errors == {"referrer_organisation": "Enter the organisation the referrer works for"}
    errors = form.read_step("referrer-details", {"referrer_email": "x@y.uk", "referrer_organisation": "LA"},
                            {"referrer_type": "other_la"}, TODAY)[1]
    assert errors == {"referrer_la_code": "Enter the local authority's 3 digit code, like 886"}


def test_an_unknown_date_of_birth_may_be_left_blank_but_not_half_entered_or_in_the_future() -> None:
    assert form.read_step("child-dob", {}, {}, TODAY)[1] == {}
    assert "dob_day" in form.read_step("child-dob", {"dob_day": "31", "dob_month": "2", "dob_year": "2014"}, {},
                                       TODAY)[1]
    assert form.read_step("child-dob", {"dob_day": "4", "dob_month": "12", "dob_year": "2026"}, {}, TODAY)[1] == {
        "dob_day": "Date of birth must be in the past"}


def test_none_known_cannot_be_chosen_with_a_safeguarding_concern() -> None:
    errors = form.read_step("safeguarding", {"safeguarding": ["none", "child_in_need"]}, {}, TODAY)[1]
    assert errors == {"safeguarding": "Select None known on its own, or the concerns that are known"}
    assert form.read_step("safeguarding", {"safeguarding": "child_in_need"}, {}, TODAY)[0] == {
        "safeguarding": ["child_in_need"]}


def test_intakes_problems_go_back_to_the_question_they_are_about_and_a_new_attempt_is_a_new_submission() -> None:
    answers = {**answered(), "_submission_id": "officer-1"}
    corrected, first = form.with_problems(answers, [
        ("child.upn", "Enter a UPN with a valid check letter"),
        ("child.address.postcode", "Enter a real postcode"),
        ("submission", "Something about the whole referral"),
    ])
    assert first == "child-address"
    assert corrected["_problems"] == {
        "child-upn": {"upn": "Enter a UPN with a valid check letter"},
        "child-address": {"postcode": "Enter a real postcode"},
        "check": {"submit": "Something about the whole referral"},
    }
    assert "_submission_id" not in corrected
    given, _ = form.read_step("child-address", ANSWERS["child-address"], corrected, TODAY)
    assert "child-address" not in form.record(corrected, "child-address", given)["_problems"]


def test_a_professional_referral_becomes_intakes_professional_referral_contract() -> None:
    payload = form.submission(answered(), "officer-abc", datetime(2026, 12, 3, 10, tzinfo=UTC))
    submission = ProfessionalReferralSubmitted.model_validate(payload)
    assert submission.referrer.organisation_type == "housing"
    assert submission.child.date_of_birth == date(2014, 3, 27)
    assert submission.child.address is not None and submission.child.address.postcode == "WR1 1AA"
    assert submission.safeguarding.safeguarding_concern is False
    assert submission.last_known_school is None


def test_a_member_of_the_public_is_a_professional_referral_with_their_type_recorded() -> None:
    answers = answered(referrer={"referrer_type": "public"},
                       **{"referrer-details": {"referrer_name": "A Neighbour", "referrer_phone": "07700 900000"}})
    submission = ProfessionalReferralSubmitted.model_validate(
        form.submission(answers, "officer-abc", datetime(2026, 12, 3, tzinfo=UTC)))
    assert submission.referrer.organisation_type == "member_of_public"
    assert submission.referrer.organisation is None


def test_social_care_becomes_a_social_care_alert_and_another_authority_an_enquiry() -> None:
    social_care = answered(referrer={"referrer_type": "social_care"},
                           concern={"alert_type": "leaving_area", "concern": "Family leaving for Wales"},
                           safeguarding={"safeguarding": ["child_protection_plan"]})
    alert = SocialCareAlertSubmitted.model_validate(form.submission(social_care, "officer-1", datetime.now(UTC)))
    assert alert.alert_type == "leaving_area"
    assert alert.social_worker.name == "A Housing Officer"
    assert alert.safeguarding.child_protection_plan and alert.safeguarding.open_to_social_care
    other_la = answered(referrer={"referrer_type": "other_la"},
                        **{"referrer-details": {**ANSWERS["referrer-details"], "referrer_la_code": "886"}})
    enquiry = LaEnquirySubmitted.model_validate(form.submission(other_la, "officer-2", datetime.now(UTC)))
    assert enquiry.enquiring_authority.local_authority_code == "886"
    assert enquiry.enquiry == ANSWERS["concern"]["concern"]


def test_check_answers_lists_every_answer_with_a_link_to_change_it() -> None:
    rows = form.summary(answered())
    assert ("Child's name", "Ava Example", "child-name") in rows
    assert ("Date of birth", "27 March 2014", "child-dob") in rows
    assert ("Known safeguarding concerns", "None known", "safeguarding") in rows
    assert {slug for _, _, slug in rows} == set(form.STEP_SLUGS)
