"""The question-by-question form an officer fills in for a referral received by phone, email or letter (GOV.UK
"one thing per page", then check answers): its questions, what each answer must look like, which question comes
next, and the submission intake receives.

Pure: answers are plain dicts of strings (what the pages keep between questions), the submission a plain dict in
the shape of intake's contract (ProfessionalReferralSubmitted, SocialCareAlertSubmitted or LaEnquirySubmitted).
Only presence and shape are checked here; intake's own rules (UPN check digit, postcode, date of birth) answer on
submission, and `step_for_problem` puts each of intake's problems back on the question it is about.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

Answers = dict[str, Any]


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    fields: tuple[str, ...]


STEPS: Final = (
    Step("how-received", "How was the referral received?", ("received_by",)),
    Step("referrer", "Who made the referral?", ("referrer_type",)),
    Step("referrer-details", "The referrer's details",
         ("referrer_name", "referrer_organisation", "referrer_phone", "referrer_email", "referrer_la_code")),
    Step("child-name", "What is the child's name?", ("given_name", "middle_names", "family_name")),
    Step("child-dob", "What is the child's date of birth?", ("dob_day", "dob_month", "dob_year")),
    Step("child-gender", "What is the child's sex?", ("sex",)),
    Step("child-address", "Where does the child live?", ("address_line1", "address_line2", "town", "postcode")),
    Step("child-upn", "Do you know the child's unique pupil number (UPN)?", ("upn",)),
    Step("child-school", "Do you know the child's last school?", ("school_id", "school_name")),
    Step("concern", "What did the referrer tell you?", ("alert_type", "concern")),
    Step("safeguarding", "Are there known safeguarding concerns?", ("safeguarding",)),
)
STEP_SLUGS: Final = tuple(step.slug for step in STEPS)
CHECK: Final = "check"

RECEIVED_BY: Final = {"phone": "Phone", "email": "Email", "letter": "Letter"}
# Who referred, and the organisation type intake's contract records for them.
REFERRER_TYPES: Final = {
    "school": ("A school", "school"),
    "admissions": ("School admissions", "admissions"),
    "housing": ("Housing", "housing"),
    "health": ("Health", "health"),
    "police": ("Police", "police"),
    "childrens_services": ("Children's services or early help", "childrens_services"),
    "professional_other": ("Another professional", "other"),
    "social_care": ("Social care", "social_care"),
    "public": ("A member of the public", "member_of_public"),
    "other_la": ("Another local authority", "other_local_authority"),
}
SEXES: Final = {"F": "Female", "M": "Male", "U": "Not known"}
ALERT_TYPES: Final = {
    "no_confirmed_education": "The child has no confirmed education",
    "leaving_area": "The child is leaving the area or the country",
}
SAFEGUARDING: Final = {
    "safeguarding_concern": "A safeguarding concern",
    "open_to_social_care": "Open to social care",
    "child_protection_plan": "On a child protection plan",
    "child_in_need": "A child in need",
    "looked_after": "Looked after by a local authority",
    "ehcp": "Has an education, health and care plan (EHCP)",
}
NONE_KNOWN: Final = "none"

_UPN_SHAPE = re.compile(r"^[A-Za-z0-9]{13}$")
_SCHOOL_ID = re.compile(r"^\d{7}$")
_LA_CODE = re.compile(r"^\d{3}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS: Final = {"concern": 4000, "given_name": 100, "family_name": 100, "middle_names": 200, "referrer_name": 200,
                 "referrer_organisation": 200, "referrer_email": 320, "referrer_phone": 30, "address_line1": 200,
                 "address_line2": 200, "town": 100, "postcode": 10, "school_name": 200}


def step_named(slug: str) -> Step | None:
    return next((step for step in STEPS if step.slug == slug), None)


def is_social_care(answers: Mapping[str, Any]) -> bool:
    return answers.get("referrer_type") == "social_care"


def read_step(
    slug: str, form: Mapping[str, Any], answers: Mapping[str, Any], today: date
) -> tuple[Answers, dict[str, str]]:
    """The answers one question's page gives (every field of the step, trimmed), and its errors by field."""
    step = step_named(slug)
    if step is None:
        raise KeyError(slug)
    given: Answers = {}
    for name in step.fields:
        if name == "safeguarding":
            values = form.get("safeguarding", [])
            given[name] = [value for value in (values if isinstance(values, list) else [values]) if value]
        else:
            given[name] = str(form.get(name, "")).strip()
    errors = {name: message for name, message in _errors(slug, given, {**answers, **given}, today).items() if message}
    return given, errors


def _too_long(given: Mapping[str, Any]) -> dict[str, str]:
    return {name: f"{_labels().get(name, name)} must be {limit} characters or fewer"
            for name, limit in LIMITS.items() if len(str(given.get(name, ""))) > limit}


def _labels() -> dict[str, str]:
    return {"concern": "What the referrer told you", "given_name": "First name", "family_name": "Last name",
            "middle_names": "Middle names", "referrer_name": "Name", "referrer_organisation": "Organisation",
            "referrer_email": "Email address", "referrer_phone": "Phone number", "address_line1": "Address line 1",
            "address_line2": "Address line 2", "town": "Town or city", "postcode": "Postcode",
            "school_name": "School name"}


def _errors(slug: str, given: Answers, answers: Mapping[str, Any], today: date) -> dict[str, str]:
    errors = _too_long(given)
    match slug:
        case "how-received":
            if given["received_by"] not in RECEIVED_BY:
                errors["received_by"] = "Select how the referral was received"
        case "referrer":
            if given["referrer_type"] not in REFERRER_TYPES:
                errors["referrer_type"] = "Select who made the referral"
        case "referrer-details":
            errors.update(_referrer_errors(given, answers))
        case "child-name":
            if not given["given_name"]:
                errors["given_name"] = "Enter the child's first name"
            if not given["family_name"]:
                errors["family_name"] = "Enter the child's last name"
        case "child-dob":
            errors.update(_dob_errors(given, today))
        case "child-gender":
            if given["sex"] not in SEXES:
                errors["sex"] = "Select the child's sex, or Not known"
        case "child-address":
            if (given["town"] or given["postcode"] or given["address_line2"]) and not given["address_line1"]:
                errors["address_line1"] = "Enter the building and street, or leave the whole address blank"
        case "child-upn":
            if given["upn"] and not _UPN_SHAPE.match(given["upn"]):
                errors["upn"] = "Enter a UPN of 13 letters and numbers, like B801200005001, or leave it blank"
        case "child-school":
            if given["school_id"] and not _SCHOOL_ID.match(given["school_id"]):
                errors["school_id"] = (
                    "Enter the school's 7 digit number (LA code and establishment number), like 8852001"
                )
            if given["school_name"] and not given["school_id"]:
                errors["school_id"] = "Enter the school's 7 digit number as well as its name"
        case "concern":
            if is_social_care(answers) and given["alert_type"] not in ALERT_TYPES:
                errors["alert_type"] = "Select what social care are telling you"
            if not given["concern"]:
                errors["concern"] = "Enter what the referrer told you"
        case "safeguarding":
            chosen = set(given["safeguarding"])
            if not chosen:
                errors["safeguarding"] = "Select the known safeguarding concerns, or None known"
            elif NONE_KNOWN in chosen and len(chosen) > 1:
                errors["safeguarding"] = "Select None known on its own, or the concerns that are known"
            elif not chosen <= {*SAFEGUARDING, NONE_KNOWN}:
                errors["safeguarding"] = "Select the known safeguarding concerns, or None known"
    return errors


def _referrer_errors(given: Answers, answers: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    kind = answers.get("referrer_type")
    if kind == "social_care" and not given["referrer_name"]:
        errors["referrer_name"] = "Enter the social worker's name"
    if kind not in {"public", "social_care"} and not given["referrer_organisation"]:
        errors["referrer_organisation"] = "Enter the organisation the referrer works for"
    if not given["referrer_phone"] and not given["referrer_email"]:
        errors["referrer_phone"] = "Enter a phone number or an email address to contact the referrer"
    if given["referrer_email"] and not _EMAIL.match(given["referrer_email"]):
        errors["referrer_email"] = "Enter an email address in the correct format, like name@example.com"
    if kind == "other_la" and not _LA_CODE.match(given["referrer_la_code"]):
        errors["referrer_la_code"] = "Enter the local authority's 3 digit code, like 886"
    return errors


def _dob_errors(given: Answers, today: date) -> dict[str, str]:
    parts = [given["dob_day"], given["dob_month"], given["dob_year"]]
    if not any(parts):
        return {}  # Partners may not know it: intake accepts a referral without one.
    born = date_of_birth(given)
    if born is None:
        return {"dob_day": "Enter the date of birth as a real date, like 27 3 2014, or leave it blank"}
    if born > today:
        return {"dob_day": "Date of birth must be in the past"}
    return {}


def date_of_birth(answers: Mapping[str, Any]) -> date | None:
    try:
        return date(
            int(answers.get("dob_year", "")), int(answers.get("dob_month", "")), int(answers.get("dob_day", ""))
        )
    except ValueError:
        return None


def completed(answers: Mapping[str, Any]) -> set[str]:
    return set(answers.get("_completed", []))


def next_step(answers: Mapping[str, Any], current: str) -> str:
    """After answering `current`: the first question not yet answered, else check answers. Changing an answer
    from check answers goes back there unless it makes a later question need answering again."""
    done = completed(answers)
    for slug in STEP_SLUGS:
        if slug not in done:
            return slug
    return CHECK


def record(answers: Mapping[str, Any], slug: str, given: Mapping[str, Any]) -> Answers:
    """The answers with one question's answers recorded. Changing who referred means their details (and, for
    social care, what they said) must be confirmed again."""
    updated: Answers = {**answers, **given}
    done = completed(answers) | {slug}
    if slug == "referrer" and answers.get("referrer_type") not in {None, given.get("referrer_type")}:
        done -= {"referrer-details", "concern"}
    updated["_completed"] = sorted(done)
    problems = dict(updated.get("_problems", {}))
    problems.pop(slug, None)
    updated["_problems"] = problems
    return updated


# Intake's problems, by the contract field they name, back to the question that asks for it.
_PROBLEM_FIELDS: Final = (
    ("child.date_of_birth", "child-dob", "dob_day"),
    ("child.given_name", "child-name", "given_name"),
    ("child.family_name", "child-name", "family_name"),
    ("child.middle_names", "child-name", "middle_names"),
    ("child.sex", "child-gender", "sex"),
    ("child.upn", "child-upn", "upn"),
    ("child.address.postcode", "child-address", "postcode"),
    ("child.address.town", "child-address", "town"),
    ("child.address.line2", "child-address", "address_line2"),
    ("child.address", "child-address", "address_line1"),
    ("possible_address_here.postcode", "child-address", "postcode"),
    ("possible_address_here", "child-address", "address_line1"),
    ("last_known_school", "child-school", "school_id"),
    ("enquiring_authority.local_authority_code", "referrer-details", "referrer_la_code"),
    ("referrer.email", "referrer-details", "referrer_email"),
    ("referrer.phone", "referrer-details", "referrer_phone"),
    ("referrer.organisation", "referrer-details", "referrer_organisation"),
    ("enquiring_authority.email", "referrer-details", "referrer_email"),
    ("enquiring_authority.phone", "referrer-details", "referrer_phone"),
    ("social_worker.email", "referrer-details", "referrer_email"),
    ("social_worker.phone", "referrer-details", "referrer_phone"),
    ("social_worker", "referrer-details", "referrer_name"),
    ("referrer", "referrer-details", "referrer_name"),
    ("enquiring_authority", "referrer-details", "referrer_name"),
    ("alert_type", "concern", "alert_type"),
    ("concern", "concern", "concern"),
    ("enquiry", "concern", "concern"),
    ("details", "concern", "concern"),
    ("safeguarding", "safeguarding", "safeguarding"),
)


def step_for_problem(field: str) -> tuple[str, str]:
    """The question (and its input) an intake problem about `field` belongs on; check answers when none does."""
    for prefix, slug, name in _PROBLEM_FIELDS:
        if field == prefix or field.startswith(prefix + "."):
            return slug, name
    return CHECK, "submit"


def with_problems(answers: Mapping[str, Any], problems: list[tuple[str, str]]) -> tuple[Answers, str]:
    """The answers carrying intake's problems on their questions, and the first question to show."""
    by_step: dict[str, dict[str, str]] = {}
    for field, message in problems:
        slug, name = step_for_problem(field)
        by_step.setdefault(slug, {}).setdefault(name, message)
    first = next((slug for slug in (*STEP_SLUGS, CHECK) if slug in by_step), CHECK)
    updated: Answers = {**answers, "_problems": by_step}
    updated.pop("_submission_id", None)  # A corrected referral is a new submission to intake.
    return updated, first


def _text(answers: Mapping[str, Any], name: str) -> str | None:
    value = str(answers.get(name, "")).strip()
    return value or None


def _child(answers: Mapping[str, Any]) -> dict[str, Any]:
    born = date_of_birth(answers)
    address = None
    if _text(answers, "address_line1"):
        address = {"line1": answers["address_line1"], "line2": _text(answers, "address_line2"),
                   "town": _text(answers, "town"), "postcode": _text(answers, "postcode")}
    upn = _text(answers, "upn")
    return {
        "given_name": answers.get("given_name", ""),
        "middle_names": _text(answers, "middle_names"),
        "family_name": answers.get("family_name", ""),
        "date_of_birth": born.isoformat() if born else None,
        "sex": _text(answers, "sex"),
        "upn": upn.upper() if upn else None,
        "address": address,
    }


def _safeguarding(answers: Mapping[str, Any], *, open_to_social_care: bool = False) -> dict[str, bool]:
    chosen = set(answers.get("safeguarding", []))
    flags = {name: name in chosen for name in SAFEGUARDING}
    flags["open_to_social_care"] = flags["open_to_social_care"] or open_to_social_care
    return flags


def submission(answers: Mapping[str, Any], submission_id: str, submitted_at: datetime) -> dict[str, Any]:
    """The submission intake receives, in the contract that fits who referred: social care's alert, another
    authority's enquiry, or a professional referral (a member of the public is one, with their type recorded)."""
    kind = str(answers.get("referrer_type", ""))
    organisation_type = REFERRER_TYPES[kind][1] if kind in REFERRER_TYPES else "other"
    school = None
    if _text(answers, "school_id"):
        school = {"establishment_id": answers["school_id"], "name": _text(answers, "school_name")}
    contact = {"name": _text(answers, "referrer_name"), "email": _text(answers, "referrer_email"),
               "phone": _text(answers, "referrer_phone")}
    common: dict[str, Any] = {"submission_id": submission_id, "submitted_at": submitted_at.isoformat(),
                              "child": _child(answers)}
    if kind == "social_care":
        return {**common, "submission_type": "social_care_alert", "alert_type": answers.get("alert_type"),
                "social_worker": contact, "details": _text(answers, "concern"),
                "safeguarding": _safeguarding(answers, open_to_social_care=True)}
    # An answer left from an earlier choice of referrer (an organisation, an LA code) does not apply to this one.
    organisation = None if kind == "public" else _text(answers, "referrer_organisation")
    referrer = {**contact, "organisation_type": organisation_type, "organisation": organisation}
    if kind == "other_la":
        return {**common, "submission_type": "la_enquiry",
                "enquiring_authority": {**referrer, "local_authority_code": _text(answers, "referrer_la_code")},
                "possible_address_here": common["child"]["address"], "last_known_school": school,
                "safeguarding": _safeguarding(answers), "enquiry": answers.get("concern", "")}
    return {**common, "submission_type": "professional_referral", "referrer": referrer, "last_known_school": school,
            "safeguarding": _safeguarding(answers), "concern": answers.get("concern", "")}


def summary(answers: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Check answers: (question, answer, the question's slug to change it)."""
    kind = str(answers.get("referrer_type", ""))
    born = date_of_birth(answers)
    address = ", ".join(part for part in (str(answers.get(name, "")) for name in
                                          ("address_line1", "address_line2", "town", "postcode")) if part)
    school = " ".join(part for part in (str(answers.get("school_id", "")), str(answers.get("school_name", ""))) if part)
    applies = ["referrer_name"] + ([] if kind in {"public", "social_care"} else ["referrer_organisation"])
    applies += ["referrer_phone", "referrer_email"] + (["referrer_la_code"] if kind == "other_la" else [])
    contact = "; ".join(part for part in (str(answers.get(name, "")) for name in applies) if part)
    chosen = answers.get("safeguarding", [])
    rows = [
        ("How received", RECEIVED_BY.get(str(answers.get("received_by", "")), ""), "how-received"),
        ("Referred by", REFERRER_TYPES[kind][0] if kind in REFERRER_TYPES else "", "referrer"),
        ("Referrer's details", contact, "referrer-details"),
        ("Child's name", " ".join(part for part in (str(answers.get(name, "")) for name in
                                                    ("given_name", "middle_names", "family_name")) if part),
         "child-name"),
        ("Date of birth", born.strftime("%-d %B %Y") if born else "Not known", "child-dob"),
        ("Sex", SEXES.get(str(answers.get("sex", "")), ""), "child-gender"),
        ("Address", address or "Not known", "child-address"),
        ("UPN", str(answers.get("upn", "")) or "Not known", "child-upn"),
        ("Last school", school or "Not known", "child-school"),
    ]
    if kind == "social_care":
        rows.append(("Social care's alert", ALERT_TYPES.get(str(answers.get("alert_type", "")), ""), "concern"))
    rows += [
        ("What the referrer said", str(answers.get("concern", "")), "concern"),
        ("Known safeguarding concerns",
         "None known" if NONE_KNOWN in chosen else ", ".join(SAFEGUARDING.get(item, item) for item in chosen),
         "safeguarding"),
    ]
    return rows
