"""Checks on what a school submits, returning every problem found rather than stopping at the first.

Messages follow the GOV.UK error message style and are written for a school administrator: they say
what to do. They never repeat the submitted value, because the value is a child's personal data and
messages end up in logs and screenshots.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.gb import nhs, upn

from services.intake.domain.grounds import (
    DOCUMENT_NAMES,
    REGULATIONS_2024_IN_FORCE,
    SCHOOL_UNKNOWN_GROUND,
    Coding,
    DocumentKind,
    LeavingGround,
    coding_in_force,
    ground_by_code,
)
from services.intake.domain.schools import SchoolDirectory


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission. ``field`` names the form field or file element it concerns."""

    field: str
    message: str


# LA numbers created after python-stdnum's list was compiled (2011): Dorset and BCP (2019), North and
# West Northamptonshire (2021), Cumberland and Westmorland and Furness (2023). Schools there issue UPNs
# with these numbers, which stdnum rejects as an unknown component.
_LA_NUMBERS_NEWER_THAN_STDNUM = frozenset({"838", "839", "940", "941", "942", "943"})

_UPN_EXAMPLE = "B801200005001"
_NHS_NUMBER_EXAMPLE = "943 476 5919"
_POSTCODE_EXAMPLE = "WR5 2NP"
# The inward code's last two letters never use C, I, K, M, O or V; the outward code's letters are limited
# by position (Royal Mail PAF rules). GIR 0AA is the one historic exception.
_POSTCODE = re.compile(
    r"^(?:GIR0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_BFPO = re.compile(r"^BFPO([0-9]{1,4})$")


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def normalise_upn(value: str) -> str:
    """A UPN as stored: upper case, no spaces. It does not validate; use ``check_upn`` first."""
    return str(upn.compact(value))


def check_upn(value: str | None, field: str = "upn") -> list[Problem]:
    """A UPN, permanent or temporary (ending in a letter), with a valid check letter and LA number."""
    if value is None or not value.strip():
        return [Problem(field, "Enter the UPN")]
    try:
        upn.validate(value)
    except InvalidComponent:
        number = upn.compact(value)
        if number[1:4] not in _LA_NUMBERS_NEWER_THAN_STDNUM:
            return [Problem(field, "Check the UPN, it does not contain a known local authority number")]
        if upn.calc_check_digit(number[1:]) != number[0]:
            return [Problem(field, "Check the UPN, the first letter does not match the rest of the number")]
    except InvalidChecksum:
        return [Problem(field, "Check the UPN, the first letter does not match the rest of the number")]
    except ValidationError:
        return [Problem(field, f"Enter a UPN in the correct format, like {_UPN_EXAMPLE}")]
    return []


def check_nhs_number(value: str | None, field: str = "nhs_number") -> list[Problem]:
    """A 10-digit NHS number with a valid mod-11 check digit; spaces and hyphens are allowed."""
    if value is None or not value.strip():
        return [Problem(field, "Enter the NHS number")]
    try:
        nhs.validate(value)
    except InvalidChecksum:
        return [Problem(field, "Check the NHS number, it is not a valid NHS number")]
    except ValidationError:
        return [Problem(field, f"Enter a 10 digit NHS number, like {_NHS_NUMBER_EXAMPLE}")]
    return []


def normalise_postcode(value: str, *, allow_bfpo: bool = True) -> str | None:
    """The postcode in standard form ("wr52np" -> "WR5 2NP", "bfpo12" -> "BFPO 12"), or ``None``.

    Only the format is checked: whether Royal Mail delivers to it needs an address lookup.
    """
    compact = "".join(value.split()).upper()
    if _POSTCODE.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    bfpo = _BFPO.match(compact)
    if allow_bfpo and bfpo:
        return f"BFPO {bfpo.group(1)}"
    return None


def check_postcode(value: str | None, field: str = "postcode", *, allow_bfpo: bool = True) -> list[Problem]:
    """A UK postcode, including GIR 0AA. BFPO numbers are allowed by default because service families
    are one of the groups the policy treats as vulnerable (App. B) and their address may be a BFPO."""
    if value is None or not value.strip():
        return [Problem(field, "Enter a postcode")]
    if normalise_postcode(value, allow_bfpo=allow_bfpo) is None:
        return [Problem(field, f"Enter a real postcode, like {_POSTCODE_EXAMPLE}")]
    return []


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def check_date_of_birth(
    dob: date | None, today: date, field: str = "date_of_birth", *, max_age_years: int = 25
) -> list[Problem]:
    """A date of birth in the past and no more than ``max_age_years`` ago.

    25 is the default because an EHCP can run until a young person's 25th birthday, so older records
    can legitimately reach the LA; anything older is a typing mistake (usually the year).
    """
    if dob is None:
        return [Problem(field, "Enter the date of birth")]
    if dob >= today:
        return [Problem(field, "Date of birth must be in the past")]
    earliest = _years_before(today, max_age_years)
    if dob < earliest:
        return [Problem(field, f"Date of birth must be on or after {_long_date(earliest)}")]
    return []


def check_leaving_date(
    leaving: date | None, submitted: date, max_days_ahead: int = 5, field: str = "leaving_date"
) -> list[Problem]:
    """A leaving date no more than ``max_days_ahead`` calendar days after the return was submitted.

    The law wants the deletion return "as soon as the ground is met and no later than deletion", so a
    return may rightly name a leaving date a few days ahead. The default of 5 calendar days lets a school
    send on a Wednesday for a pupil who leaves the following Monday, and matches the policy's 5-day
    window for returns; calendar rather than school days, so the check needs no term-date calendar.
    Later dates are usually typing mistakes, or returns sent before the family's plans are settled.
    A date in the past is allowed: a late return is a timeliness matter for reporting, not invalid.
    """
    if leaving is None:
        return [Problem(field, "Enter the date the pupil left or will leave")]
    latest = submitted + timedelta(days=max_days_ahead)
    if leaving <= latest:
        return []
    if max_days_ahead == 0:
        return [Problem(field, "Leaving date must be today or in the past")]
    return [
        Problem(
            field,
            f"Leaving date must be on or before {_long_date(latest)}. "
            "If the pupil leaves later, send this form nearer the time",
        )
    ]


def _ground_code_problem(code: str, on: date, field: str) -> tuple[LeavingGround | None, list[Problem]]:
    if not code.strip():
        return None, [Problem(field, "Select the reason the pupil left")]
    ground = ground_by_code(code)
    if ground is None:
        example = SCHOOL_UNKNOWN_GROUND[coding_in_force(on)]
        return None, [Problem(field, f"Select a reason for leaving from the list, like {example}")]
    if ground.accepted_from is not None and on < ground.accepted_from:
        if ground.equivalent_codes:
            alternative = " or ".join(ground.equivalent_codes)
            message = (
                f"Select reason {alternative}. The 2024 reasons are for pupils leaving on or after "
                f"{_long_date(REGULATIONS_2024_IN_FORCE)}"
            )
        else:
            message = (
                "Select a reason from the 2006 regulations. The 2024 reasons are for pupils leaving on or "
                f"after {_long_date(REGULATIONS_2024_IN_FORCE)}"
            )
        return None, [Problem(field, message)]
    if ground.accepted_until is not None and on > ground.accepted_until:
        removed_on = ground.accepted_until + timedelta(days=1)
        return None, [Problem(field, f"Select a different reason. This reason was removed on {_long_date(removed_on)}")]
    return ground, []


def _destination_problems(
    ground: LeavingGround, destination_school_id: str | None, schools: SchoolDirectory, on: date, field: str
) -> list[Problem]:
    """The destination school a transfer ground needs: known and open, and, for the 2006 reading only, in the
    county.

    Under the 2024 regulations 9(1)(a) ("registered at another school") holds for ANY school in England, in
    the county or not (domain-anchors.md §1.2). The county check belongs to the policy's reading of the 2006
    ground 8(1)(b) ("transferring to a known school in the county", App. C), which sends out-of-county moves to
    8(1)(e). So a school citing 8(1)(b) for an out-of-county move is told which ground fits its leaving date.
    """
    alternative = SCHOOL_UNKNOWN_GROUND[ground.coding]
    county_reading = ground.coding is Coding.REGS_2006
    if destination_school_id is None or not destination_school_id.strip():
        unknown = "If you do not know the new school, or it is outside the county," if county_reading else (
            "If you do not know the new school,"
        )
        return [Problem(field, f"Enter the new school's DfE number or URN. {unknown} use reason {alternative}")]
    school = schools.lookup(destination_school_id)
    if school is None:
        if county_reading:
            message = "Enter the DfE number or URN of a school in the county. If the new school is outside the county,"
        else:
            message = "Enter the DfE number or URN of a school in England. If you do not know the new school,"
        return [Problem(field, f"{message} use reason {alternative}")]
    if county_reading and not schools.is_in_county(destination_school_id):
        return [Problem(field, _out_of_county_message(ground, alternative, on))]
    if not school.is_open:
        return [
            Problem(
                field,
                f"The new school is closed. Check the school, or use reason {alternative} if you do not know "
                "where the pupil is going",
            )
        ]
    return []


def _out_of_county_message(ground: LeavingGround, alternative: str, on: date) -> str:
    """Which ground fits a move to a school outside the county, for a pupil leaving on ``on``."""
    message = f"The new school is outside the county, so use reason {alternative}"
    if on < REGULATIONS_2024_IN_FORCE:
        return f"{message}: under the 2006 regulations {ground.code} is for a school in the county"
    moved = " or ".join(ground.equivalent_codes) or "9(1)(a)"
    return (
        f"The new school is outside the county, and {ground.code} under the 2006 regulations is for a school in "
        f"the county. A move to a school outside the county is {moved} under the 2024 regulations: use reason "
        f"{moved}"
    )


def check_leaving_ground(
    code: str,
    documents: Collection[DocumentKind],
    destination_school_id: str | None,
    schools: SchoolDirectory,
    on: date,
    *,
    field_prefix: str = "",
) -> list[Problem]:
    """The ground cited for a pupil leaving on ``on``, its documents and the destination school.

    Fields are ``{field_prefix}ground``, ``{field_prefix}documents.<document kind>`` (one per missing
    document, so each can link to its upload) and ``{field_prefix}destination_school``. A destination
    given for a ground that does not need one is not checked: schools often know an out-of-county school.
    """
    ground, problems = _ground_code_problem(code, on, f"{field_prefix}ground")
    if ground is None:
        return problems
    problems.extend(
        Problem(f"{field_prefix}documents.{kind}", f"Attach {DOCUMENT_NAMES[kind]}")
        for kind in ground.required_documents
        if kind not in documents
    )
    if ground.destination_school_required:
        problems.extend(
            _destination_problems(
                ground, destination_school_id, schools, on, f"{field_prefix}destination_school"
            )
        )
    return problems
