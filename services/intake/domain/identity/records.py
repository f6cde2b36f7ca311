"""The person details identity resolution works on, as submitted and after normalisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A child's identifying details exactly as one submission gave them.

    Nothing here is cleaned or validated: ``normalise`` does that, so the raw record can be kept as
    evidence of what was submitted.
    """

    given_name: str
    family_name: str
    middle_names: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    upn: str | None = None
    former_upns: tuple[str, ...] = ()
    nhs_number: str | None = None
    postcode: str | None = None
    address_line: str | None = None


@dataclass(frozen=True, slots=True)
class NormalisedRecord:
    """A ``PersonRecord`` reduced to comparable forms.

    Names are lower case ASCII letters with punctuation removed. ``given`` and ``family`` are the
    compact forms (all parts joined, so "Smith-Jones", "Smith Jones" and "SmithJones" agree);
    ``given_parts`` and ``family_parts`` keep the parts for double-barrelled names. Identifiers that
    fail their check digit are dropped rather than trusted.
    """

    given: str
    given_parts: tuple[str, ...]
    given_canonicals: frozenset[str]
    middle_names: tuple[str, ...]
    family: str
    family_parts: tuple[str, ...]
    date_of_birth: date | None
    sex: str | None
    upn: str | None
    former_upns: tuple[str, ...]
    nhs_number: str | None
    postcode: str | None
    address_key: str | None
    all_upns: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        upns = set(self.former_upns)
        if self.upn is not None:
            upns.add(self.upn)
        object.__setattr__(self, "all_upns", frozenset(upns))

    @property
    def postcode_outward(self) -> str | None:
        """The outward code ("SW1A" of "SW1A 1AA"): a postal district."""
        return None if self.postcode is None else self.postcode.split(" ")[0]

    @property
    def postcode_sector(self) -> str | None:
        """The outward code and the first inward digit ("SW1A 1"): a few thousand addresses."""
        return None if self.postcode is None else self.postcode[:-2]
