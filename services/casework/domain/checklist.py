"""The enquiry checklist of the Missing Mondays whereabouts-unknown review form (App. F)."""

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType


class CheckGroup(StrEnum):
    EDUCATION = "education"
    SOCIAL_CARE = "social_care"
    PARENTS_CARERS = "parents_carers"
    HOUSING_AND_ADDRESS = "housing_and_address"
    NHS = "nhs"
    INTERNET_SOCIAL_MEDIA = "internet_social_media"
    WHEREABOUTS_UNKNOWN = "whereabouts_unknown"


class CheckType(StrEnum):
    LEAVER_FORM_OR_SCHOOL_DISCUSSION = "leaver_form_or_school_discussion"
    NEW_ADDRESS_PROVIDED = "new_address_provided"
    NEW_SCHOOL_DETAILS = "new_school_details"
    FURTHER_DATABASE_CHECKS = "further_database_checks"
    EHCP = "ehcp"
    OTHER_INVOLVEMENT = "other_involvement"
    SCHOOL_ADMISSIONS = "school_admissions"
    SOCIAL_CARE_SYSTEM = "social_care_system"
    HOME_VISIT = "home_visit"
    DIRECT_EMAIL = "direct_email"
    DIRECT_PHONE = "direct_phone"
    HOUSING_BENEFIT_COUNCIL_TAX = "housing_benefit_council_tax"
    CHILD_HEALTH_ENQUIRY = "child_health_enquiry"
    NHS_SAFEGUARDING = "nhs_safeguarding"
    INTERNET_SOCIAL_MEDIA = "internet_social_media"
    NAFN = "nafn"
    WIDER_CHECKS = "wider_checks"
    GIAP = "giap"
    BORDER_CONTROL = "border_control"

    @property
    def group(self) -> CheckGroup:
        return CHECK_GROUPS[self]

    @property
    def label(self) -> str:
        return CHECK_LABELS[self]


CHECK_GROUPS: Mapping[CheckType, CheckGroup] = MappingProxyType(
    {
        CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION: CheckGroup.EDUCATION,
        CheckType.NEW_ADDRESS_PROVIDED: CheckGroup.EDUCATION,
        CheckType.NEW_SCHOOL_DETAILS: CheckGroup.EDUCATION,
        CheckType.FURTHER_DATABASE_CHECKS: CheckGroup.EDUCATION,
        CheckType.EHCP: CheckGroup.EDUCATION,
        CheckType.OTHER_INVOLVEMENT: CheckGroup.EDUCATION,
        CheckType.SCHOOL_ADMISSIONS: CheckGroup.EDUCATION,
        CheckType.SOCIAL_CARE_SYSTEM: CheckGroup.SOCIAL_CARE,
        CheckType.HOME_VISIT: CheckGroup.PARENTS_CARERS,
        CheckType.DIRECT_EMAIL: CheckGroup.PARENTS_CARERS,
        CheckType.DIRECT_PHONE: CheckGroup.PARENTS_CARERS,
        CheckType.HOUSING_BENEFIT_COUNCIL_TAX: CheckGroup.HOUSING_AND_ADDRESS,
        CheckType.CHILD_HEALTH_ENQUIRY: CheckGroup.NHS,
        CheckType.NHS_SAFEGUARDING: CheckGroup.NHS,
        CheckType.INTERNET_SOCIAL_MEDIA: CheckGroup.INTERNET_SOCIAL_MEDIA,
        CheckType.NAFN: CheckGroup.WHEREABOUTS_UNKNOWN,
        CheckType.WIDER_CHECKS: CheckGroup.WHEREABOUTS_UNKNOWN,
        CheckType.GIAP: CheckGroup.WHEREABOUTS_UNKNOWN,
        CheckType.BORDER_CONTROL: CheckGroup.WHEREABOUTS_UNKNOWN,
    }
)

CHECK_LABELS: Mapping[CheckType, str] = MappingProxyType(
    {
        CheckType.LEAVER_FORM_OR_SCHOOL_DISCUSSION: "Leaver form or discussion with school",
        CheckType.NEW_ADDRESS_PROVIDED: "New address provided",
        CheckType.NEW_SCHOOL_DETAILS: "New school details (all siblings)",
        CheckType.FURTHER_DATABASE_CHECKS: "Further database checks",
        CheckType.EHCP: "EHCP",
        CheckType.OTHER_INVOLVEMENT: "Other involvement",
        CheckType.SCHOOL_ADMISSIONS: "School admissions",
        CheckType.SOCIAL_CARE_SYSTEM: "Social care system check",
        CheckType.HOME_VISIT: "Home visit to last known address",
        CheckType.DIRECT_EMAIL: "Direct contact by email",
        CheckType.DIRECT_PHONE: "Direct contact by phone",
        CheckType.HOUSING_BENEFIT_COUNCIL_TAX: "Housing benefit or council tax",
        CheckType.CHILD_HEALTH_ENQUIRY: "Child health enquiry",
        CheckType.NHS_SAFEGUARDING: "NHS safeguarding",
        CheckType.INTERNET_SOCIAL_MEDIA: "Internet and social media",
        CheckType.NAFN: "NAFN",
        CheckType.WIDER_CHECKS: "Wider checks",
        CheckType.GIAP: "GIAP",
        CheckType.BORDER_CONTROL: "Border control",
    }
)

STANDARD_CHECKS: tuple[CheckType, ...] = tuple(
    check for check in CheckType if check.group is not CheckGroup.WHEREABOUTS_UNKNOWN
)
WHEREABOUTS_UNKNOWN_CHECKS: tuple[CheckType, ...] = tuple(
    check for check in CheckType if check.group is CheckGroup.WHEREABOUTS_UNKNOWN
)


def required_checks(*, whereabouts_unknown: bool) -> tuple[CheckType, ...]:
    """Every standard check, plus the additional group when the child's whereabouts are unknown."""
    if whereabouts_unknown:
        return STANDARD_CHECKS + WHEREABOUTS_UNKNOWN_CHECKS
    return STANDARD_CHECKS


def outstanding(recorded: Iterable[CheckType], *, whereabouts_unknown: bool) -> tuple[CheckType, ...]:
    """Required checks with no record yet, in form order. Every record is either done or not applicable."""
    done = set(recorded)
    required = required_checks(whereabouts_unknown=whereabouts_unknown)
    return tuple(check for check in required if check not in done)


def describe(checks: Iterable[CheckType]) -> str:
    return "; ".join(check.label for check in checks)
