from contracts.events.referral_v1 import ReferralKind
from contracts.exchange.messages_v1 import EnquiryOutcome
from services.intake.domain.enquiries import EnquiryAnswer, ReferralSummary, answer_enquiry

SCHOOL = ("8852001", "Example Primary")


def test_the_latest_on_roll_return_names_the_school() -> None:
    history = [ReferralSummary(ReferralKind.ABSENCE, *SCHOOL), ReferralSummary(ReferralKind.LEAVER, "8852002")]
    assert answer_enquiry(history) == EnquiryAnswer(EnquiryOutcome.KNOWN_ON_ROLL, *SCHOOL)


def test_a_child_whose_latest_return_is_a_leaver_is_known_but_on_no_roll() -> None:
    history = [ReferralSummary(ReferralKind.LEAVER, "8852002"), ReferralSummary(ReferralKind.JOINER, *SCHOOL)]
    assert answer_enquiry(history) == EnquiryAnswer(EnquiryOutcome.KNOWN_NOT_ON_ROLL)


def test_bulk_files_and_other_authorities_questions_say_nothing_of_the_roll() -> None:
    history = [
        ReferralSummary(ReferralKind.LA_ENQUIRY),
        ReferralSummary(ReferralKind.CTF_BULK, "8852009"),
        ReferralSummary(ReferralKind.JOINER, *SCHOOL),
    ]
    assert answer_enquiry(history) == EnquiryAnswer(EnquiryOutcome.KNOWN_ON_ROLL, *SCHOOL)


def test_a_child_known_only_from_referrals_is_known_but_on_no_roll() -> None:
    assert answer_enquiry([ReferralSummary(ReferralKind.PROFESSIONAL_REFERRAL)]).outcome is (
        EnquiryOutcome.KNOWN_NOT_ON_ROLL
    )
    assert answer_enquiry([ReferralSummary(ReferralKind.CTF_BULK)]).outcome is EnquiryOutcome.KNOWN_NOT_ON_ROLL
