"""Value types shared by the v1 event contracts."""

import re
from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

Name = str
SchoolId = str
LaCode = Annotated[str, Field(pattern=r"^[0-9]{3}$", description="DfE local authority code", examples=["885"])]

# PostgreSQL cannot store NUL in text or JSON, and the other C0/C1 control characters and unpaired surrogates are
# never part of a name, an id or a note: they come from broken exports or attacks. Tab, line feed and carriage
# return are allowed, because notes have lines.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str) -> bool:
    return _CONTROL_CHARACTERS.search(value) is not None


def without_control_characters(value: str | None) -> str | None:
    """A validator for identifiers that are looked up before any other check: refuses control characters."""
    if value is not None and has_control_characters(value):
        raise PydanticCustomError("control_character", "String should not contain control characters")
    return value


class Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Address(Part):
    line1: str = Field(max_length=200, description="Building and street")
    line2: str | None = Field(default=None, max_length=200)
    town: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=10, examples=["WR5 2NP"])


class Child(Part):
    """Who the submission is about. Personal data: never log it."""

    given_name: Name = Field(min_length=1, max_length=100)
    family_name: Name = Field(min_length=1, max_length=100)
    middle_names: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = Field(default=None, description="Required on school returns; partners may not know it")
    sex: str | None = Field(default=None, max_length=10, description="As recorded by the school: F, M or U")
    upn: str | None = Field(default=None, max_length=13, description="Unique pupil number", examples=["B801200005001"])
    former_upns: tuple[str, ...] = ()
    nhs_number: str | None = Field(default=None, max_length=12)
    address: Address | None = None


class SocialWorker(Part):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=30)


class Vulnerability(StrEnum):
    """Appendix B groups that make a child more likely to go missing from education (priority 2)."""

    RISK_OF_HARM = "risk_of_harm"
    GRT_FAMILY = "grt_family"
    SERVICE_FAMILY = "service_family"
    MISSING_OR_RUNAWAY = "missing_or_runaway"
    YOUTH_JUSTICE = "youth_justice"
    NEW_MIGRANT_FAMILY = "new_migrant_family"
    EXCLUDED = "excluded"
    CSE_OR_TRAFFICKING_RISK = "cse_or_trafficking_risk"
    FORCED_MARRIAGE_OR_FGM_RISK = "forced_marriage_or_fgm_risk"
    LONG_TERM_MEDICAL_OR_SEMH = "long_term_medical_or_semh"
    BULLYING = "bullying"
    DOMESTIC_ABUSE = "domestic_abuse"
    FREQUENT_MOVES_OR_HOMELESSNESS = "frequent_moves_or_homelessness"
    MOBILE_FAMILY = "mobile_family"
    PARENTAL_HEALTH_OR_SUBSTANCE_MISUSE = "parental_health_or_substance_misuse"
    CRIME_RISK = "crime_risk"
    YOUNG_CARER = "young_carer"
    TEENAGE_PARENT = "teenage_parent"
    UNMET_SEN = "unmet_sen"
    RETURNING_FROM_UNSUCCESSFUL_EHE = "returning_from_unsuccessful_ehe"
    NO_PLACE_AT_TRANSITION = "no_place_at_transition"


class Safeguarding(Part):
    """What the referrer knows about the child's involvement with social care and SEND."""

    looked_after: bool = Field(default=False, description="Child looked after (CLA)")
    child_protection_plan: bool = Field(default=False, description="On a child protection plan (CP)")
    child_in_need: bool = Field(default=False, description="Child in need (CiN)")
    ehcp: bool = Field(default=False, description="Has an education, health and care plan")
    safeguarding_concern: bool = False
    open_to_social_care: bool = False
    social_worker: SocialWorker | None = None
    vulnerabilities: tuple[Vulnerability, ...] = ()


class DocumentKind(StrEnum):
    SAO_REVOCATION_LETTER = "sao_revocation_letter"
    LEARNER_PROFILE = "learner_profile"
    EHE_PARENT_LETTER = "ehe_parent_letter"
    DEROLLING_CHECKLIST = "derolling_checklist"
    MEDICAL_CERTIFICATE = "medical_certificate"


class Document(Part):
    kind: DocumentKind
    reference: str = Field(min_length=1, max_length=500, description="Where the document is held (file id or URL)")
    # Set by intake when it holds the file itself (uploaded to its document API): what it checked and stored.
    document_id: UUID | None = Field(default=None, description="Intake's id for the stored file")
    content_type: str | None = Field(
        default=None, max_length=100, description="The type intake found in the file's content, not its name"
    )
    size: int | None = Field(default=None, ge=0, description="Bytes")
    sha256: str | None = Field(default=None, min_length=64, max_length=64, description="Hex SHA-256 of the bytes")
    filename: str | None = Field(
        default=None, max_length=200, description="The sender's file name, sanitised (no path, no control characters)"
    )


class School(Part):
    establishment_id: SchoolId = Field(
        min_length=7, max_length=7, description="LA code and establishment number", examples=["8852001"]
    )
    name: str | None = Field(default=None, max_length=200)


class Destination(Part):
    school_id: SchoolId | None = Field(default=None, description="Destination school, when known")
    local_authority: str | None = Field(default=None, max_length=100)
    la_code: LaCode | None = Field(
        default=None, description="The destination authority's DfE LA code, when the child moved to an English LA"
    )
    country: str | None = Field(default=None, max_length=100)
    address: Address | None = None


class EducationStatus(Part):
    """What the referrer knows of the child's education now: each of these means the child is not CME."""

    on_roll_elsewhere: bool = False
    electively_home_educated: bool = False
    in_alternative_provision: bool = False
    ap_taken_up: bool | None = Field(default=None, description="For excluded pupils: has the LA's AP been taken up")


class OrganisationType(StrEnum):
    SCHOOL = "school"
    ADMISSIONS = "admissions"
    HOUSING = "housing"
    HEALTH = "health"
    POLICE = "police"
    CHILDRENS_SERVICES = "childrens_services"
    SOCIAL_CARE = "social_care"
    OTHER_LOCAL_AUTHORITY = "other_local_authority"
    MEMBER_OF_PUBLIC = "member_of_public"
    OTHER = "other"


class Referrer(Part):
    organisation_type: OrganisationType
    organisation: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=30)
    local_authority_code: str | None = Field(default=None, min_length=3, max_length=3, description="For other LAs")
